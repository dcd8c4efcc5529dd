// The one number formatter of viz (viz/numbers.py is the spec; this follows it digit for digit).
// Python rounds the exact binary value of a double half to even; so does this, on the exact
// decimal expansion of the double (every double is m·2^e, which is m·5^-e / 10^-e when e < 0).
"use strict";
const NUMBERS = (function () {
  const DIGITS = 4;
  const MAX_DIGITS = 17;
  const MINUS = "\u2212";

  /** |x| (finite, non-zero) exactly: [decimal digits, power of ten of the last digit]. */
  function exactDecimal(x) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(x));
    const bits = view.getBigUint64(0);
    const biased = Number((bits >> 52n) & 0x7ffn);
    let mantissa = bits & ((1n << 52n) - 1n);
    let e2 = -1074; // subnormal
    if (biased !== 0) {
      mantissa |= 1n << 52n;
      e2 = biased - 1075;
    }
    if (e2 >= 0) return [String(mantissa << BigInt(e2)), 0];
    return [String(mantissa * 5n ** BigInt(-e2)), e2];
  }

  /** |x| rounded half to even to `digits` significant digits: [digit string, exponent]. */
  function significant(x, digits) {
    const [all, last] = exactDecimal(x);
    const text = all.replace(/^0+/, "");
    let e = text.length - 1 + last;
    let kept = text.slice(0, digits).padEnd(digits, "0");
    const rest = text.slice(digits);
    const up = rest !== "" && (rest[0] > "5" || (rest[0] === "5" &&
      (/[1-9]/.test(rest.slice(1)) || Number(kept[digits - 1]) % 2 === 1)));
    if (up) {
      kept = String(BigInt(kept) + 1n);
      if (kept.length > digits) {
        kept = kept.slice(0, digits);
        e += 1;
      }
    }
    return [kept, e];
  }

  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);

  /** viz.numbers.number: 1.7163378 -> "1.716", 5 -> "5", -1.5e-5 -> "−1.5e−5", -0 -> "0". */
  function number(x, digits = DIGITS) {
    x = typeof x === "string" ? Number(x) : x; // JSON carries inf and nan as strings
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : `${MINUS}inf`;
    if (x === 0) return "0";
    const [figures, e] = significant(x, digits);
    const sign = x < 0 ? MINUS : "";
    if (e < -4 || e >= digits) {
      return `${sign}${strip(`${figures[0]}.${figures.slice(1)}`)}e${e < 0 ? MINUS : ""}${Math.abs(e)}`;
    }
    if (e < 0) return sign + strip(`0.${"0".repeat(-e - 1)}${figures}`);
    return sign + strip(`${figures.slice(0, e + 1)}.${figures.slice(e + 1)}`);
  }

  function factor(x, digits = DIGITS) {
    const t = number(x, digits);
    return t.startsWith(MINUS) ? `(${t})` : t;
  }

  const parse = (text) => Number(text.replaceAll(MINUS, "-").replace(/[()]/g, ""));
  const shown = (x, digits) => parse(number(x, digits));

  /** The (p, q) pairs honestDigits tries, in order (viz.numbers._candidates). */
  const CANDIDATES = [];
  for (let p = DIGITS; p < DIGITS + 3; p++) CANDIDATES.push([p, p]);
  for (let p = DIGITS; p <= MAX_DIGITS; p++) for (let q = p - 1; q > 1; q--) CANDIDATES.push([p, q]);

  /** viz.numbers.honest_digits: [p, q], operands to p digits and the result to q. */
  function honestDigits(operands, result, combine) {
    const values = operands.map(Number);
    if (![...values, Number(result)].every(Number.isFinite)) return [DIGITS, DIGITS];
    for (const [p, q] of CANDIDATES) {
      const value = combine(values.map((v) => shown(v, p)));
      if (number(value, q) === number(result, q)) return [p, q];
    }
    return [MAX_DIGITS, MAX_DIGITS];
  }

  const sum = (values) => values.slice(1).reduce((out, v) => out + v, values[0]);

  /** viz.numbers.product: `a × b = c` as [a, b, c] texts. */
  function product(a, b, c) {
    const [p, q] = honestDigits([a, b], c, (v) => v[0] * v[1]);
    return [number(a, p), factor(b, p), number(c, q)];
  }

  /** viz.numbers.total: `p1 + p2 + … = s` as [terms, s] texts. */
  function total(parts, result) {
    const [p, q] = honestDigits(parts, result, sum);
    const terms = parts.map((x) => number(x, p)).join(" + ").replaceAll(`+ ${MINUS}`, `${MINUS} `);
    return [terms, number(result, q)];
  }

  return { DIGITS, MINUS, number, factor, parse, honestDigits, product, total, sum };
})();

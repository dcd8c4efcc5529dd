// viz.stepper's page: steps through a recorded reverse pass (and a forward sweep) on the drawing
// graphviz laid out in Python. Python wrote the pass into #adjoint-trace; PRIMITIVES, generated
// from scalar/primitives.py, stands above this script. Every number on the page is written here,
// in the formats of viz.labels (four significant digits) and viz.trace (three decimals).
"use strict";
(function () {
  const TRACE = JSON.parse(document.getElementById("adjoint-trace").textContent);
  const TENSOR = TRACE.kind === "tensor";
  const ROOT = TRACE.root;
  const N = TRACE.steps.length;
  const nodes = TRACE.nodes; // in topological order
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const gradOrder = nodes.filter((n) => n.requires_grad); // what the reverse pass walks, reversed
  const leaves = nodes.filter((n) => n.inputs.length === 0 && n.requires_grad);
  const named = nodes.filter((n) => n.trace).sort((a, b) => a.id - b.id); // trace-table rows
  // The consumers of each node: [consumer id, argument position], in topological order.
  const consumers = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) n.inputs.forEach((i, k) => consumers.get(i).push([n.id, k]));

  // --- numbers ------------------------------------------------------------------------------

  const num = (v) => (typeof v === "string" ? Number(v) : v); // JSON has no inf or nan
  const stripZeros = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);

  // JavaScript rounds a decimal tie away from zero, Python to even (f"{1234.5:.4g}" is "1234").
  // A double that is an exact tie has a short decimal expansion, so 25 more digits tell.
  const exactTie = (digitsAfter) => /^50*$/.test(digitsAfter);

  /** |x| rounded to `digits` significant digits as Python rounds: [digit string, exponent]. */
  function significant(x, digits) {
    const [m, e] = Math.abs(x).toExponential(digits - 1 + 25).split("e");
    const all = m.replace(".", "");
    if (exactTie(all.slice(digits)) && Number(all[digits - 1]) % 2 === 0) {
      return [all.slice(0, digits), Number(e)];
    }
    const [m2, e2] = Math.abs(x).toExponential(digits - 1).split("e");
    return [m2.replace(".", ""), Number(e2)];
  }

  /** x with `digits` decimals, rounded as Python rounds (digits >= 1). */
  function fixed(x, digits) {
    if (Math.abs(x) >= 1e21) {
      // toFixed writes these in exponent form; Python writes every digit (they are integers)
      return `${x < 0 ? "-" : ""}${BigInt(Math.abs(x))}.${"0".repeat(digits)}`;
    }
    const long = Math.abs(x).toFixed(digits + 25);
    const cut = long.indexOf(".") + 1 + digits;
    const sign = x < 0 ? "-" : "";
    if (exactTie(long.slice(cut)) && Number(long[cut - 1]) % 2 === 0) return sign + long.slice(0, cut);
    return x.toFixed(digits);
  }

  /** Python's f"{x:.4g}" as viz.labels.number writes it: 1.7163378 -> "1.716", -0 -> "0". */
  function number(x) {
    x = num(x);
    if (x === 0) return "0";
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    const [digits, e] = significant(x, 4);
    const sign = x < 0 ? "-" : "";
    if (e < -4 || e >= 4) {
      const mantissa = stripZeros(`${digits[0]}.${digits.slice(1)}`);
      return `${sign}${mantissa}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
    }
    if (e < 0) return sign + stripZeros(`0.${"0".repeat(-e - 1)}${digits}`);
    return sign + stripZeros(`${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`);
  }
  const factor = (x) => {
    const t = number(x);
    return t.startsWith("-") ? `(${t})` : t;
  };

  /** viz.trace's numbers: three decimals as in Baydin et al., no trailing zeros, a true minus. */
  function tnum(x) {
    x = num(x);
    if (Number.isNaN(x)) return "nan";
    if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
    let t = stripZeros(fixed(x, 3));
    if (t === "-0" || t === "") t = "0";
    return t.replace("-", "−");
  }
  const tfactor = (x) => {
    const t = tnum(x);
    return t.startsWith("−") ? `(${t})` : t;
  };
  const bar = (s) => (s.slice(0, 1) + "\u0304" + s.slice(1)).normalize("NFC"); // v̄: adjoint
  const dot = (s) => (s.slice(0, 1) + "\u0307" + s.slice(1)).normalize("NFC"); // v̇: tangent
  const fill = (template, args) => template.replace(/\{(\d+)\}/g, (_, k) => args[Number(k)]);

  /** A tensor as the page writes it: its values when small, else its shape and norm. */
  function summaryText(s) {
    if (s == null) return "—";
    if (s.values) return s.values.map(number).join(" ");
    const shape = s.shape.length === 1 ? `(${s.shape[0]},)` : `(${s.shape.join(", ")})`;
    return `${shape} norm ${number(s.norm)}`;
  }
  const show = (x) => (TENSOR ? summaryText(x) : number(x));
  const name = (id) => byId.get(id).name;
  const escape = (s) =>
    String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

  // --- the model: values, local derivatives and the reverse pass ------------------------------

  /** The forward pass of a scalar graph from the values of its input leaves (a Map by id):
   *  every value and local derivative, by the primitive table. Throws on a domain error. */
  function evaluate(given) {
    const value = new Map();
    const local = new Map();
    for (const n of nodes) {
      if (n.inputs.length === 0) {
        value.set(n.id, given.has(n.id) ? given.get(n.id) : num(n.value));
        local.set(n.id, []);
        continue;
      }
      const p = PRIMITIVES[n.primitive];
      const args = n.inputs.map((i) => value.get(i));
      if (p.args.length > p.arity) args.push(num(n.exponent)); // power_scalar's n
      const problem = p.check(...args);
      if (problem) throw new Error(`${n.name}: ${problem}`);
      const out = p.value(...args);
      if (!Number.isFinite(out) && args.every(Number.isFinite)) {
        throw new Error(`${n.name}: ${n.primitive}(${args.map(number).join(", ")}) is too large for a float`);
      }
      value.set(n.id, out);
      local.set(n.id, p.local_derivatives(...args, out));
    }
    return { value, local };
  }

  /** autodiff.backward, recorded: walk the order backwards; a node's adjoint is the sum of the
   *  partial adjoints it received, and it sends adjoint × local derivative to each input. */
  function reversePass(local) {
    const received = new Map([[ROOT, 1]]);
    const steps = [];
    for (let s = gradOrder.length - 1; s >= 0; s--) {
      const n = gradOrder[s];
      if (!received.has(n.id)) continue;
      const adjoint = received.get(n.id);
      received.delete(n.id);
      const d = local.get(n.id);
      const edges = n.inputs.map((input, k) => {
        const partial = byId.get(input).requires_grad ? adjoint * d[k] : null;
        if (partial !== null) {
          received.set(input, received.has(input) ? received.get(input) + partial : partial);
        }
        return { input, local: d[k], partial };
      });
      steps.push({ node: n.id, adjoint, edges });
    }
    return steps;
  }

  function scalarModel(given) {
    const { value, local } = evaluate(given);
    return { value, local, steps: reversePass(local) };
  }

  /** The pass as Python recorded it: what the page shows until an input changes. */
  function recordedModel() {
    const value = new Map(nodes.map((n) => [n.id, TENSOR ? n.value : num(n.value)]));
    const local = TENSOR ? null : new Map(nodes.map((n) => [n.id, n.local.map(num)]));
    const steps = TRACE.steps.map((s) => ({
      node: s.node,
      adjoint: TENSOR ? s.adjoint : num(s.adjoint),
      edges: s.edges.map((e) => ({
        input: e.input,
        local: e.local === null ? null : num(e.local),
        partial: e.partial === null || TENSOR ? e.partial : num(e.partial),
      })),
      received: s.received, // tensors: Python's running sums, as the page cannot add arrays
    }));
    return { value, local, steps };
  }

  let inputs = new Map(leaves.map((n) => [n.id, num(n.value)]));
  let model = recordedModel();
  const stepOf = new Map(model.steps.map((s, k) => [s.node, k + 1])); // the same for any inputs

  /** What each node has received by the end of step k: [{from, partial}] in the order sent
   *  (the root's seed has from = null). */
  function receivedBy(k) {
    const got = new Map();
    for (let s = 0; s < k; s++) {
      const step = model.steps[s];
      if (s === 0) got.set(step.node, [{ from: null, partial: step.adjoint }]);
      for (const e of step.edges) {
        if (e.partial === null) continue;
        if (!got.has(e.input)) got.set(e.input, []);
        got.get(e.input).push({ from: step.node, partial: e.partial });
      }
    }
    return got;
  }

  /** For every node, the sum of the partial adjoints received in steps 1..k, or null. */
  function gradsAt(k) {
    const out = new Map(nodes.map((n) => [n.id, null]));
    if (TENSOR) {
      for (let s = 0; s < k; s++) {
        for (const [id, sum] of Object.entries(model.steps[s].received)) out.set(Number(id), sum);
      }
      return out;
    }
    for (const [id, parts] of receivedBy(k)) {
      let sum = parts[0].partial;
      for (const p of parts.slice(1)) sum = sum + p.partial; // the pass's order of additions
      out.set(id, sum);
    }
    return out;
  }

  /** Forward mode: v̇ of every node for the direction ẋ_seed = 1, as viz.forward_tangents. */
  function tangentsFor(seed) {
    const t = new Map();
    for (const n of nodes) {
      if (n.inputs.length === 0) {
        t.set(n.id, n.id === seed ? 1 : 0);
        continue;
      }
      const d = model.local.get(n.id);
      t.set(n.id, n.inputs.reduce((sum, input, k) => sum + d[k] * t.get(input), 0));
    }
    return t;
  }

  // --- page state ---------------------------------------------------------------------------

  let mode = "reverse";
  let seed = leaves.length ? leaves[0].id : null;
  const position = { reverse: 0, forward: 0 };
  let selected = null; // {node: id} or {edge: [a, b, k]}
  const last = () => (mode === "reverse" ? N : gradOrder.length);

  // --- the drawing --------------------------------------------------------------------------

  const svg = document.querySelector("#graph svg");
  const element = (id) => document.getElementById(id);
  const room = new WeakMap(); // text element -> [layout text length, width available]

  /** Centre every text the page rewrites on the room graphviz left for it. */
  function prepareDrawing() {
    for (const t of svg.querySelectorAll("text[class^='f-']")) {
      const box = t.getBBox();
      const shape = t.parentNode.querySelector("polygon, ellipse");
      let width = box.width + 6;
      if (t.parentNode.classList.contains("node") && shape) width = shape.getBBox().width - 6;
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("x", String(box.x + box.width / 2));
      room.set(t, [t.textContent.length, width]);
    }
    // A wider, invisible copy of each edge's path makes thin edges easy to click.
    for (const path of svg.querySelectorAll("g.edge > path")) {
      const hit = path.cloneNode(false);
      hit.setAttribute("class", "hit");
      path.after(hit);
    }
  }

  /** Size the drawing to fit the window, but never below 70% (smaller text is hard to read):
   *  a larger graph scrolls inside its box, which follows the node being processed. */
  function fitDrawing() {
    const box = document.getElementById("graph");
    const width = (parseFloat(svg.getAttribute("width")) * 4) / 3; // graphviz writes points
    const height = (parseFloat(svg.getAttribute("height")) * 4) / 3;
    const room = Math.max(240, window.innerHeight - box.getBoundingClientRect().top - 28);
    const scale = Math.max(0.7, Math.min(1, (box.clientWidth - 4) / width, room / height));
    svg.style.width = `${width * scale}px`;
    svg.style.height = `${height * scale}px`;
    box.style.maxHeight = `${room}px`;
  }

  function follow(g) {
    if (!g) return;
    const box = document.getElementById("graph");
    const r = g.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    if (r.top < b.top || r.bottom > b.bottom) box.scrollTop += (r.top + r.bottom - b.top - b.bottom) / 2;
    if (r.left < b.left || r.right > b.right) box.scrollLeft += (r.left + r.right - b.left - b.right) / 2;
  }

  /** Write `text` into a text element, squeezing it into its room if it became too long. */
  function put(t, text) {
    if (!t || t.textContent === text) return;
    t.textContent = text;
    t.removeAttribute("textLength");
    const [length, width] = room.get(t) || [Infinity, Infinity];
    if (text.length > length && t.getComputedTextLength() > width) {
      t.setAttribute("textLength", String(width));
      t.setAttribute("lengthAdjust", "spacingAndGlyphs");
    }
  }
  const textOf = (g, cls) => (g ? g.querySelector(`text.${cls}`) : null);
  function setState(g, state) {
    if (!g) return;
    g.classList.remove("current", "done", "pending");
    if (state === "current" || state === "done" || state === "pending") g.classList.add(state);
  }
  const prefix = (n, k) =>
    n.inputs.filter((i) => i === n.inputs[k]).length > 1 ? `arg ${k + 1}: ` : "";
  const localLine = (n, k, d) =>
    `${prefix(n, k)}∂${n.name}/∂${name(n.inputs[k])} = ${number(d)}`;

  function stateAt(id, k) {
    if (mode === "reverse") {
      const s = stepOf.get(id);
      if (s === undefined) return "constant";
      return s < k ? "done" : s === k ? "current" : "pending";
    }
    const s = gradOrder.findIndex((n) => n.id === id) + 1;
    if (s === 0) return "constant";
    return s < k ? "done" : s === k ? "current" : "pending";
  }

  function drawStep(k) {
    const got = mode === "reverse" ? receivedBy(k) : null;
    const sums = mode === "reverse" ? gradsAt(k) : null;
    const tangent = mode === "forward" ? tangentsFor(seed) : null;
    for (const n of nodes) {
      const state = stateAt(n.id, k);
      const g = element(`node-${n.id}`);
      for (const el of [g, element(`op-${n.id}`), element(`result-${n.id}`)]) setState(el, state);
      if (!TENSOR) put(textOf(g, "f-data"), `data ${number(model.value.get(n.id))}`);
      if (n.requires_grad) put(textOf(g, "f-grad"), fieldText(n, state, got, sums, tangent));
      n.inputs.forEach((input, k2) => {
        const e = element(`edge-${input}-${n.id}-${k2}`);
        setState(e, state);
        const sent = state === "current" || state === "done";
        if (TENSOR) {
          const edge = stepOf.has(n.id) ? model.steps[stepOf.get(n.id) - 1].edges[k2] : null;
          const text = sent && edge && edge.partial ? `sends ${summaryText(edge.partial)}` : "";
          put(textOf(e, "f-flow"), text);
          return;
        }
        const d = model.local.get(n.id)[k2];
        put(textOf(e, "f-local"), localLine(n, k2, d));
        let flow = "";
        if (sent && mode === "reverse") {
          const step = model.steps[stepOf.get(n.id) - 1];
          const partial = step.edges[k2].partial;
          if (partial !== null) flow = `sends ${number(step.adjoint)} × ${factor(d)} = ${number(partial)}`;
        } else if (sent) {
          const t = tangent.get(input);
          flow = `adds ${number(d)} × ${factor(t)} = ${number(d * t)}`;
        }
        put(textOf(e, "f-flow"), flow);
      });
    }
  }

  /** The third field of a record: the adjoint (reverse) or the tangent (forward). */
  function fieldText(n, state, got, sums, tangent) {
    if (mode === "forward") {
      return state === "pending" ? "tangent —" : `tangent ${number(tangent.get(n.id))}`;
    }
    const parts = got.get(n.id) || [];
    if (state === "pending") {
      return parts.length ? `grad — (so far ${show(sums.get(n.id))})` : "grad —";
    }
    const adjoint = model.steps[stepOf.get(n.id) - 1].adjoint;
    if (state === "current" && !TENSOR && parts.length >= 2 && parts.length <= 4) {
      return `grad ${terms(parts.map((p) => p.partial))} = ${number(adjoint)}`;
    }
    return `grad ${show(adjoint)}`;
  }
  const terms = (parts) => parts.map(number).join(" + ").replaceAll("+ -", "- ");

  // --- words: the status line and the info panel ---------------------------------------------

  function status(k) {
    const root = byId.get(ROOT);
    if (mode === "forward") return forwardStatus(k);
    if (k === 0) {
      return `After the forward pass: every value is known, no adjoint yet (—). The reverse pass ` +
        `starts at the output ${root.name} with the seed ${bar(root.name)} = ∂${root.name}/∂${root.name} = 1. Press → to step.`;
    }
    const step = model.steps[k - 1];
    const n = byId.get(step.node);
    let text = `Reverse pass, step ${k} of ${N}: ${n.name} has adjoint ${show(step.adjoint)}`;
    if (!step.edges.length) text += `; ${n.name} is a leaf, so that is its gradient ∂${root.name}/∂${n.name}`;
    else {
      const sends = step.edges.filter((e) => e.partial !== null)
        .map((e) => `${show(e.partial)} to ${name(e.input)}`);
      text += sends.length ? `; it sends ${sends.join(", ")}` : "; its inputs are constants";
    }
    text += ".";
    if (k === N) text += " The pass is complete: every grad is final.";
    return text;
  }

  function forwardStatus(k) {
    const root = byId.get(ROOT);
    const x = name(seed);
    const M = gradOrder.length;
    if (k === 0) {
      return `Forward mode: one sweep from the inputs, with the tangent ${dot(x)} = 1 (0 for the ` +
        `other inputs), carries ∂·/∂${x} of every node along with its value. Press → to step.`;
    }
    const t = tangentsFor(seed);
    const n = gradOrder[k - 1];
    let text;
    if (n.inputs.length === 0) {
      text = `Forward sweep, step ${k} of ${M}: ${n.name} is ${n.id === seed ? "the chosen input" : "another input"}: ${dot(n.name)} = ${number(t.get(n.id))}.`;
    } else {
      const d = model.local.get(n.id);
      const parts = n.inputs.map((i, j) => `${factor(d[j])} × ${factor(t.get(i))}`);
      text = `Forward sweep, step ${k} of ${M}: ${n.name} = ${n.expression} gets ` +
        `${dot(n.name)} = ${parts.join(" + ")} = ${number(t.get(n.id))}.`;
    }
    if (k === M) {
      text += ` One sweep gave ${dot(root.name)} = ∂${root.name}/∂${x} = ${number(t.get(ROOT))}: one ` +
        `input's derivative per forward sweep, where one reverse pass gives every input's.`;
    }
    return text;
  }

  function describeNode(id, k) {
    const n = byId.get(id);
    const root = byId.get(ROOT);
    const lines = [];
    const value = model.value.get(id);
    let head = n.inputs.length ? `${n.name} = ${n.expression}` : n.name;
    if (!TENSOR && n.trace && n.inputs.length) {
      head += ` = ${fill(n.trace.template, n.inputs.map((i) => tfactor(model.value.get(i))))}`;
    }
    head += TENSOR ? `: value ${summaryText(value)}, ${n.dtype}` : ` = ${number(value)}`;
    if (!n.requires_grad) {
      lines.push(`${n.name} is a constant: it takes no gradient and the pass sends it nothing.`);
      return card(head, lines);
    }
    if (mode === "forward") return card(head, describeTangent(n, k));
    const s = stepOf.get(id);
    const done = s <= k;
    if (id === ROOT) {
      lines.push(`${bar(n.name)} = ∂${n.name}/∂${n.name} = 1: the seed of the reverse pass` +
        (done ? ` (step ${s}).` : `, given at step ${s}.`));
    } else {
      // its consumers in the order the pass reaches them, which is the order their parts arrive
      const from = consumers.get(id).filter(([c]) => byId.get(c).requires_grad)
        .sort((a, b) => stepOf.get(a[0]) - stepOf.get(b[0]));
      const symbols = from.map(([c]) => `${bar(name(c))} · ∂${name(c)}/∂${n.name}`);
      lines.push(`Chain rule: ${bar(n.name)} = Σ over its consumers vⱼ of v̄ⱼ · ∂vⱼ/∂${n.name} = ${symbols.join(" + ")}`);
      const arrived = [];
      for (const [c, arg] of from) {
        const sc = stepOf.get(c);
        const cs = model.steps[sc - 1];
        const e = cs.edges[arg];
        const what = TENSOR
          ? `${bar(name(c))} · ∂${name(c)}/∂${n.name} = ${summaryText(e.partial)}`
          : `${bar(name(c))} · ∂${name(c)}/∂${n.name} = ${number(cs.adjoint)} × ${factor(e.local)} = ${number(e.partial)}`;
        if (sc <= k) {
          lines.push(`from ${name(c)} at step ${sc}: ${what}`);
          arrived.push(e.partial);
        } else {
          lines.push(`from ${name(c)}: not sent yet (step ${sc})`);
        }
      }
      if (done) {
        const adjoint = model.steps[s - 1].adjoint;
        const sum = !TENSOR && arrived.length > 1 ? `${terms(arrived)} = ` : "";
        lines.push(`${bar(n.name)} = ${sum}${show(adjoint)}` +
          (n.inputs.length ? "" : ` = ∂${root.name}/∂${n.name}, the gradient of this leaf.`));
      } else {
        lines.push(`${n.name} waits until every consumer has sent its part (step ${s}).`);
      }
    }
    if (done && n.inputs.length) {
      const step = model.steps[s - 1];
      const sends = step.edges.map((e, j) => {
        if (e.partial === null) return `to ${name(e.input)}: nothing, a constant`;
        if (TENSOR) return `to ${name(e.input)}: ${summaryText(e.partial)} (a vector-Jacobian product)`;
        return `to ${name(e.input)}: ${bar(n.name)} · ∂${n.name}/∂${name(e.input)} = ${number(step.adjoint)} × ${factor(e.local)} = ${number(e.partial)}`;
      });
      lines.push(`Sends (step ${s}): ${sends.join("; ")}`);
    }
    return card(head, lines);
  }

  function describeTangent(n, k) {
    const t = tangentsFor(seed);
    const s = gradOrder.indexOf(n) + 1;
    if (s > k) return [`${dot(n.name)} is computed at step ${s} of the forward sweep.`];
    if (!n.inputs.length) {
      return [`${dot(n.name)} = ${number(t.get(n.id))}: ${n.id === seed ? "the chosen direction" : "another input, held still"}.`];
    }
    const d = model.local.get(n.id);
    const symbols = n.inputs.map((i) => `∂${n.name}/∂${name(i)} · ${dot(name(i))}`);
    const numbers = n.inputs.map((i, j) => `${factor(d[j])} × ${factor(t.get(i))}`);
    return [`${dot(n.name)} = ${symbols.join(" + ")} = ${numbers.join(" + ")} = ${number(t.get(n.id))}`];
  }

  function describeEdge([a, b, k], step) {
    const n = byId.get(b);
    const head = `Edge ${name(a)} → ${n.name}: argument ${k + 1} of ${n.name} = ${n.expression}`;
    const lines = [];
    if (TENSOR) {
      lines.push(`The local derivative ∂${n.name}/∂${name(a)} of ${n.op} is a Jacobian, not a ` +
        `number; the reverse pass sends back the vector-Jacobian product instead.`);
      const s = stepOf.get(b);
      const e = s ? model.steps[s - 1].edges[k] : null;
      if (!e || e.partial === null) lines.push(`${name(a)} is a constant: nothing is sent back.`);
      else if (mode === "reverse" && s <= step) lines.push(`Sent at step ${s}: ${summaryText(e.partial)}.`);
      else lines.push(`It is sent at step ${s}.`);
      return card(head, lines);
    }
    const p = PRIMITIVES[n.primitive];
    const argValues = n.inputs.map((i) => model.value.get(i));
    if (p.args.length > p.arity) argValues.push(num(n.exponent));
    const here = p.args.map((arg, j) =>
      j < p.arity ? `${arg} = ${name(n.inputs[j])} = ${number(argValues[j])}` : `${arg} = ${number(argValues[j])}`);
    const d = model.local.get(b)[k];
    lines.push(`${n.primitive}: ${p.function}; here ${here.join(", ")}.`);
    lines.push(`Local derivative: ${p.derivatives[k]}, so ∂${n.name}/∂${name(a)} = ${number(d)}.`);
    if (mode === "forward") {
      const t = tangentsFor(seed).get(a);
      lines.push(`Forward mode adds ∂${n.name}/∂${name(a)} · ${dot(name(a))} = ${number(d)} × ${factor(t)} = ${number(d * t)} to ${dot(n.name)}.`);
      return card(head, lines);
    }
    const s = stepOf.get(b);
    const e = s ? model.steps[s - 1].edges[k] : null;
    if (!e || e.partial === null) {
      lines.push(`${name(a)} is a constant: the reverse pass sends nothing back along this edge.`);
    } else {
      const adjoint = model.steps[s - 1].adjoint;
      const product = `${bar(n.name)} · ∂${n.name}/∂${name(a)} = ${number(adjoint)} × ${factor(d)} = ${number(e.partial)}`;
      lines.push(s <= step ? `Partial adjoint sent back at step ${s}: ${product}.`
        : `At step ${s} the reverse pass sends back ${bar(n.name)} · ∂${n.name}/∂${name(a)}.`);
    }
    return card(head, lines);
  }

  const card = (head, lines) =>
    `<h2>${escape(head)}</h2>` + lines.map((l) => `<p class="math">${escape(l)}</p>`).join("");

  function info(k) {
    if (selected && selected.node !== undefined) return describeNode(selected.node, k);
    if (selected && selected.edge) return describeEdge(selected.edge, k);
    if (mode === "reverse" && k > 0) return describeNode(model.steps[k - 1].node, k);
    if (mode === "forward" && k > 0) return describeNode(gradOrder[k - 1].id, k);
    return card("Click a node or an edge", [
      "A node shows how its adjoint is the sum of the partial adjoints it receives; " +
        "an edge shows its local derivative, formula and value.",
    ]);
  }

  // --- the trace table (Baydin et al. 2018: Table 3 in reverse mode, Table 2 in forward) -------

  function tableRows(k) {
    if (TENSOR) return tensorRows(k);
    const tname = (id) => (byId.get(id).trace ? byId.get(id).trace.name : null);
    const value = (id) => model.value.get(id);
    const rows = [];
    const t = mode === "forward" ? tangentsFor(seed) : null;
    for (const n of named) {
      const tn = n.trace.name;
      let primal;
      if (!n.inputs.length) {
        primal = n.trace.label ? `${tn} = ${n.trace.label} = ${tnum(value(n.id))}` : `${tn} = ${tnum(value(n.id))}`;
      } else {
        const symbolic = fill(n.trace.template, n.inputs.map((i) => tname(i) || tnum(value(i))));
        const numeric = fill(n.trace.template, n.inputs.map((i) => tfactor(value(i))));
        primal = `${tn} = ${symbolic} = ${numeric} = ${tnum(value(n.id))}`;
      }
      const state = stateAt(n.id, k);
      const right = mode === "forward" ? tangentLines(n, t, state) : adjointLines(n, state, tname);
      rows.push({ id: n.id, primal, right, state });
    }
    const root = byId.get(ROOT);
    if (!root.trace) return rows; // a constant output: nothing takes a gradient
    const output = `y = ${root.trace.name} = ${tnum(value(ROOT))}`;
    const right = [];
    if (mode === "forward") {
      const done = stateAt(ROOT, k) !== "pending";
      right.push(done ? `${dot("y")} = ${dot(root.trace.name)} = ${tnum(t.get(ROOT))}` : `${dot("y")} = —`);
    }
    rows.push({ id: null, primal: output, right, state: "output" });
    return rows;
  }

  function adjointLines(n, state, tname) {
    const tn = n.trace.name;
    const partialAdjointName = (input, consumer) => `${bar(tname(input))}→${tname(consumer).slice(1)}`;
    const label = n.trace.label;
    const lhs = label && !n.inputs.length ? `${bar(label)} = ${bar(tn)}` : bar(tn);
    if (state === "pending") return [n.id === ROOT ? `${bar(tn)} = ${bar("y")} = —` : `${lhs} = —`];
    const step = model.steps[stepOf.get(n.id) - 1];
    const lines = [];
    if (n.id === ROOT) lines.push(`${bar(tn)} = ${bar("y")} = ${tnum(step.adjoint)}`);
    else {
      // What n received, listed by sender in creation order, as viz.trace lists it.
      const got = [];
      for (const [c, arg] of consumers.get(n.id)) {
        const s = stepOf.get(c);
        if (s === undefined) continue;
        const e = model.steps[s - 1].edges[arg];
        if (e.partial !== null) got.push([c, partialAdjointName(n.id, c), e.partial]);
      }
      got.sort((x, y) => x[0] - y[0]);
      const symbols = got.map((g) => g[1]).join(" + ") || "0";
      const sums = got.length > 1 ? ` = ${got.map((g) => tfactor(g[2])).join(" + ")}` : "";
      lines.push(`${lhs} = ${symbols}${sums} = ${tnum(step.adjoint)}`);
    }
    for (const e of step.edges) {
      if (e.partial === null) continue;
      const i = tname(e.input);
      lines.push(`${partialAdjointName(e.input, n.id)} = ${bar(tn)} ∂${tn}/∂${i} = ` +
        `${tfactor(step.adjoint)} × ${tfactor(e.local)} = ${tnum(e.partial)}`);
    }
    return lines;
  }

  function tangentLines(n, t, state) {
    const tn = n.trace.name;
    if (state === "pending") return [`${dot(tn)} = —`];
    if (!n.inputs.length) {
      const given = n.trace.label ? `${dot(tn)} = ${dot(n.trace.label)}` : dot(tn);
      return [`${given} = ${tnum(t.get(n.id))}`];
    }
    const d = model.local.get(n.id);
    const terms2 = n.inputs.map((i, j) => [i, d[j]]).filter(([i]) => byId.get(i).requires_grad);
    const symbols = terms2.map(([i]) => `∂${tn}/∂${byId.get(i).trace.name} ${dot(byId.get(i).trace.name)}`);
    const numbers = terms2.map(([i, dj]) => `${tfactor(dj)} × ${tfactor(t.get(i))}`);
    return [`${dot(tn)} = ${symbols.join(" + ")} = ${numbers.join(" + ")} = ${tnum(t.get(n.id))}`];
  }

  function tensorRows(k) {
    const sums = gradsAt(k);
    return [...nodes].sort((a, b) => a.id - b.id).map((n) => {
      const shape = `(${n.value.shape.join(", ")}${n.value.shape.length === 1 ? "," : ""}) ${n.dtype}`;
      const primal = n.inputs.length ? `${n.name} = ${n.expression}: ${shape}` : `${n.name}: ${shape}`;
      const state = stateAt(n.id, k);
      let right;
      if (state === "constant") right = ["constant: no adjoint"];
      else if (state === "pending") {
        const sofar = sums.get(n.id);
        right = [sofar ? `${bar(n.name)} = — (so far ${summaryText(sofar)})` : `${bar(n.name)} = —`];
      } else right = [`${bar(n.name)} = ${summaryText(model.steps[stepOf.get(n.id) - 1].adjoint)}`];
      return { id: n.id, primal, right, state };
    });
  }

  function drawTable(k) {
    const table = document.getElementById("trace");
    const head = mode === "forward"
      ? ["Forward primal trace ↓", "Forward tangent trace ↓"]
      : ["Forward primal trace ↓", "Reverse adjoint trace ↑"];
    let out = `<thead><tr><th>${head[0]}</th><th>${head[1]}</th></tr></thead>`;
    for (const row of tableRows(k)) {
      const lines = row.right.length ? row.right : [""];
      const id = row.id === null ? "" : ` data-node="${row.id}"`;
      out += `<tbody class="${row.state}"${id}>`;
      lines.forEach((line, j) => {
        const cls = j === 0 ? "right" : "right sends";
        out += "<tr>";
        if (j === 0) out += `<td class="primal" rowspan="${lines.length}">${escape(row.primal)}</td>`;
        out += `<td class="${cls}">${escape(line)}</td></tr>`;
      });
      out += "</tbody>";
    }
    table.innerHTML = out;
  }

  // --- going to a step --------------------------------------------------------------------------

  const slider = document.getElementById("slider");
  let writingHash = false;

  function render() {
    const k = position[mode];
    document.body.dataset.step = String(k);
    document.body.dataset.mode = mode;
    slider.max = String(last());
    slider.value = String(k);
    document.getElementById("counter").textContent =
      `${mode === "reverse" ? "step" : "sweep step"} ${k} of ${last()}`;
    document.getElementById("prev").disabled = k === 0;
    document.getElementById("first").disabled = k === 0;
    document.getElementById("next").disabled = k === last();
    document.getElementById("last").disabled = k === last();
    drawStep(k);
    follow(svg.querySelector("g.node.value.current"));
    document.getElementById("status").textContent = status(k);
    document.getElementById("info").innerHTML = info(k);
    drawTable(k);
    for (const g of svg.querySelectorAll(".selected")) g.classList.remove("selected");
    if (selected && selected.node !== undefined) element(`node-${selected.node}`).classList.add("selected");
    if (selected && selected.edge) element(`edge-${selected.edge.join("-")}`).classList.add("selected");
  }

  function go(k) {
    k = Math.max(0, Math.min(last(), Math.trunc(Number(k)) || 0));
    position[mode] = k;
    render();
    writeHash();
  }

  function hashText() {
    const k = position[mode];
    return mode === "forward" ? `#forward=${seed}&step=${k}` : `#step=${k}`;
  }

  function writeHash() {
    if (location.hash === hashText()) return;
    writingHash = true;
    try {
      history.replaceState(null, "", hashText());
    } catch (err) {
      // A page shown from an iframe's srcdoc may not rewrite its URL; the step still works.
    }
    writingHash = false;
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const forward = params.get("forward");
    const chosen = forward !== null ? byId.get(Number(forward)) : null;
    if (chosen && !TENSOR && leaves.includes(chosen)) {
      mode = "forward";
      seed = chosen.id;
    } else {
      mode = "reverse";
    }
    const k = Number(params.get("step"));
    position[mode] = Math.max(0, Math.min(last(), Number.isInteger(k) ? k : 0));
    syncModeControls();
  }

  function setMode(next, input) {
    if (next === "forward") {
      if (TENSOR) throw new Error("forward mode: tensor graphs have no numeric local derivatives");
      if (input !== undefined) {
        const n = byId.get(Number(input));
        if (!n || !leaves.includes(n)) throw new Error(`forward mode: node ${input} is not an input leaf`);
        seed = n.id;
      }
    } else if (next !== "reverse") {
      throw new Error(`mode must be "reverse" or "forward", got ${next}`);
    }
    mode = next;
    syncModeControls();
    render();
    writeHash();
  }

  function syncModeControls() {
    document.getElementById("mode-reverse").checked = mode === "reverse";
    document.getElementById("mode-forward").checked = mode === "forward";
    const select = document.getElementById("seed");
    if (seed !== null) select.value = String(seed);
  }

  // --- inputs -----------------------------------------------------------------------------------

  function setInput(id, x) {
    if (TENSOR) {
      throw new Error("setInput: tensor pages show Python's numbers; change the input in Python and make a new page");
    }
    const n = byId.get(Number(id));
    if (!n || !leaves.includes(n)) {
      const known = leaves.map((l) => `${l.id} (${l.name})`).join(", ");
      throw new Error(`setInput: node ${id} is not an input leaf of this graph; its inputs are ${known}`);
    }
    const value = typeof x === "string" ? Number(x.trim() === "" ? NaN : x) : Number(x);
    if (!Number.isFinite(value)) throw new Error(`setInput: ${n.name} needs a finite number, got ${x}`);
    const next = new Map(inputs);
    next.set(n.id, value);
    model = scalarModel(next); // throws on a domain error and leaves the page as it was
    inputs = next;
    const field = document.querySelector(`#inputs input[data-node="${n.id}"]`);
    if (field && Number(field.value) !== value) field.value = String(value);
    render();
  }

  function buildInputs() {
    const box = document.getElementById("inputs");
    const select = document.getElementById("seed");
    if (TENSOR) {
      box.innerHTML = `<span class="hint">A tensor graph: adjoints are shown as shape and norm ` +
        `(values when at most 6). The forward sweep and input fields are for scalar graphs.</span>`;
      for (const id of ["mode-forward", "seed"]) document.getElementById(id).disabled = true;
      return;
    }
    if (!leaves.length) {
      // a graph of constants only: no input to change or to seed a forward sweep with
      for (const id of ["mode-forward", "seed"]) document.getElementById(id).disabled = true;
      return;
    }
    select.innerHTML = leaves.map((n) => `<option value="${n.id}">${escape(dot(n.name))} = 1</option>`).join("");
    box.innerHTML = `<span class="hint">inputs:</span>` + leaves.map((n) =>
      `<label>${escape(n.name)} = <input type="number" step="any" data-node="${n.id}" ` +
      `value="${num(n.value)}"></label>`).join(" ") +
      ` <button type="button" id="reset">reset</button> <span class="error" id="input-error"></span>`;
    for (const field of box.querySelectorAll("input")) {
      field.addEventListener("change", () => {
        if (field.value.trim() === "") return; // being edited: wait for a number
        const error = document.getElementById("input-error");
        try {
          setInput(field.dataset.node, field.value);
          error.textContent = "";
        } catch (err) {
          error.textContent = err.message;
          field.value = String(inputs.get(Number(field.dataset.node)));
        }
      });
    }
    document.getElementById("reset").addEventListener("click", (event) => {
      // Back to the pass Python recorded, as it is: recomputing it could fail where Python did
      // not (a product that overflows to inf), and reset must always work.
      inputs = new Map(leaves.map((n) => [n.id, num(n.value)]));
      model = recordedModel();
      for (const field of box.querySelectorAll("input")) field.value = String(inputs.get(Number(field.dataset.node)));
      render();
      document.getElementById("input-error").textContent = "";
      event.currentTarget.blur();
    });
  }

  // --- controls -------------------------------------------------------------------------------

  let timer = null;
  function togglePlay() {
    const button = document.getElementById("play");
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
      button.textContent = "▶ Play";
      return;
    }
    if (position[mode] >= last()) go(0);
    button.textContent = "❚❚ Pause";
    timer = setInterval(() => {
      if (position[mode] >= last()) togglePlay();
      else go(position[mode] + 1);
    }, 1000);
  }

  function click(id, action) {
    document.getElementById(id).addEventListener("click", (event) => {
      action();
      event.currentTarget.blur(); // so that Space means Play, not "press this button again"
    });
  }

  function bindControls() {
    click("first", () => go(0));
    click("prev", () => go(position[mode] - 1));
    click("next", () => go(position[mode] + 1));
    click("last", () => go(last()));
    click("play", togglePlay);
    slider.addEventListener("input", () => go(slider.value));
    for (const radio of document.querySelectorAll('input[name="mode"]')) {
      radio.addEventListener("change", () => setMode(radio.value));
    }
    document.getElementById("seed").addEventListener("change", (event) => {
      setMode("forward", event.currentTarget.value);
    });
    document.addEventListener("keydown", (event) => {
      const t = event.target;
      const typing = t && (t.tagName === "SELECT" || t.tagName === "TEXTAREA" ||
        (t.tagName === "INPUT" && t.type !== "range" && t.type !== "radio"));
      if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
      const k = position[mode];
      const keys = {
        ArrowRight: () => go(k + 1),
        ArrowLeft: () => go(k - 1),
        Home: () => go(0),
        End: () => go(last()),
        " ": togglePlay,
      };
      if (!(event.key in keys)) return;
      event.preventDefault();
      keys[event.key]();
    });
    window.addEventListener("hashchange", () => {
      if (writingHash || location.hash === hashText()) return;
      readHash();
      render();
    });
    svg.addEventListener("click", (event) => {
      const g = event.target.closest("g.node, g.edge");
      const id = g ? g.id : "";
      let m;
      if ((m = /^(?:node|op|result)-(\d+)$/.exec(id))) selected = { node: Number(m[1]) };
      else if ((m = /^edge-(\d+)-(\d+)-(\d+)$/.exec(id))) selected = { edge: m.slice(1).map(Number) };
      else selected = null;
      render();
    });
  }

  // --- the automation interface (docs/design.md) -----------------------------------------------

  const asObject = (map) => Object.fromEntries([...map].map(([id, v]) => [String(id), v]));
  const api = {
    steps: N,
    step: () => position[mode],
    go: (k) => go(k),
    values: () => asObject(model.value),
    grads: () => asObject(gradsAt(position.reverse)),
    setInput: (id, x) => setInput(id, x),
    // beyond docs/design.md: the forward view and the recorded steps as the page now has them
    mode: () => mode,
    setMode: (next, input) => setMode(next, input),
    tangents: () => (TENSOR ? {} : asObject(tangentsFor(seed))),
    recorded: () => model.steps.map((s) => ({ node: s.node, adjoint: s.adjoint, edges: s.edges })),
  };

  function start() {
    buildInputs();
    prepareDrawing();
    fitDrawing();
    window.addEventListener("resize", fitDrawing);
    bindControls();
    readHash();
    render();
    writeHash();
    window.adjoint = api;
  }

  // The drawing's text is measured to centre it, which needs a laid-out page. A page shown in an
  // iframe (Jupyter) may run this script before its frame has a size: then wait until it has.
  if (svg.getBBox().width > 0) start();
  else {
    const observer = new ResizeObserver(() => {
      if (svg.getBBox().width === 0) return;
      observer.disconnect();
      start();
    });
    observer.observe(svg);
  }
})();

// viz.stepper's page: steps through a recorded reverse pass (and a forward sweep) on the drawing
// graphviz laid out in Python. Python wrote the pass into #adjoint-trace, with the label templates
// (viz.labels.TEMPLATES) and what each node receives at which step (viz.passes.arrivals);
// PRIMITIVES, generated from scalar/primitives.py, and NUMBERS, the one number formatter
// (viz/numbers.py's spec), stand above this script.
"use strict";
(function () {
  const TRACE = JSON.parse(document.getElementById("adjoint-trace").textContent);
  const TENSOR = TRACE.kind === "tensor";
  const ROOT = TRACE.root;
  const N = TRACE.steps.length;
  const T = TRACE.templates;
  const nodes = TRACE.nodes; // in topological order
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const gradOrder = nodes.filter((n) => n.requires_grad); // what the reverse pass walks, reversed
  const leaves = nodes.filter((n) => n.inputs.length === 0 && n.requires_grad);
  const fieldIds = TRACE.fields || [];
  const seedIds = TRACE.seeds || [];
  // Why the page cannot recompute the graph or run its forward sweep (null where it can): a
  // micrograd-style `_backward` closure hides its local derivatives (they are null here), and an
  // op added without JavaScript cannot be recomputed in the browser.
  const RECOMPUTE_OFF = TRACE.recompute || null;
  const FORWARD_OFF = TRACE.forward || null;
  const rows = nodes.filter((n) => n.row).sort((a, b) => a.id - b.id); // trace-table rows
  // What each node receives: [step (1-based), argument of the sender's edge or -1 for the seed].
  const arrivals = new Map(Object.entries(TRACE.arrivals).map(([id, a]) => [Number(id), a]));
  // The consumers of each node: [consumer id, argument position], in topological order.
  const consumers = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) n.inputs.forEach((i, k) => consumers.get(i).push([n.id, k]));

  // --- words and numbers --------------------------------------------------------------------

  const { number, factor, product, total } = NUMBERS;
  const num = (v) => (typeof v === "string" ? Number(v) : v); // JSON has no inf or nan
  /** A template of viz.labels.TEMPLATES with its {fields} filled in (Python's str.format). */
  const fillT = (name, fields) => T[name].replace(/\{(\w+)\}/g, (_, k) => fields[k]);
  const fill = (template, args) => template.replace(/\{(\d+)\}/g, (_, k) => args[Number(k)]);
  const bar = (s) => (s.slice(0, 1) + "\u0304" + s.slice(1)).normalize("NFC"); // x̄: adjoint
  const dot = (s) => (s.slice(0, 1) + "\u0307" + s.slice(1)).normalize("NFC"); // ẋ: tangent
  /** A tensor as Python wrote it: its values in their shape when small, else shape and norm. */
  const summaryText = (s) => (s == null ? "—" : s.text);
  const show = (x) => (TENSOR ? summaryText(x) : number(x));
  const name = (id) => byId.get(id).name;
  const escape = (s) =>
    String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const partialName = (receiver, sender) => `${bar(receiver)}→${sender}`;
  /** `a × b = c`, right at the digits shown. */
  const times = (a, b, c) => {
    if (b === null) return `${number(c)} (from the _backward closure)`; // local derivative unknown
    const [x, y, z] = product(a, b, c);
    return `${x} × ${y} = ${z}`;
  };
  const ARITHMETIC = {
    "+": (v) => v[0] + v[1],
    "-": (v) => v[0] - v[1],
    "*": (v) => v[0] * v[1],
    "/": (v) => (v[1] ? v[0] / v[1] : NaN),
  };
  /** viz.trace.primal_digits: honest digits for `a + b`, `a − b`, `a × b`, `a / b`. */
  const primalDigits = (n, values, out) =>
    n.arithmetic ? NUMBERS.honestDigits(values, out, ARITHMETIC[n.arithmetic]) : [NUMBERS.DIGITS, NUMBERS.DIGITS];

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
        throw new Error(`${n.name}: ${n.primitive}(${args.map((a) => number(a)).join(", ")}) is too large for a float`);
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

  /** What node `id` has received by the end of step k, in the order the pass adds it:
   *  [{step, from, partial}] (the root's seed has from = null). From Python's arrivals. */
  function receivedBy(id, k) {
    const out = [];
    for (const [s, arg] of arrivals.get(id) || []) {
      if (s > k) break;
      const step = model.steps[s - 1];
      out.push(arg < 0 ? { step: s, from: null, partial: step.adjoint }
        : { step: s, from: step.node, partial: step.edges[arg].partial });
    }
    return out;
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
    for (const n of nodes) {
      const parts = receivedBy(n.id, k);
      if (parts.length) out.set(n.id, NUMBERS.sum(parts.map((p) => p.partial))); // the pass's order
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
  let seed = seedIds.length ? seedIds[0] : null;
  const position = { reverse: 0, forward: 0 };
  let selected = null; // {node: id} or {edge: [a, b, k]}
  const last = () => (mode === "reverse" ? N : gradOrder.length);

  // --- the drawing: fit to view, zoom and pan ---------------------------------------------------

  const svg = document.querySelector("#graph svg");
  const pane = document.getElementById("graph");
  const element = (id) => document.getElementById(id);
  const room = new WeakMap(); // text element -> [layout text length, width available]
  const whole = svg.viewBox.baseVal
    ? { x: svg.viewBox.baseVal.x, y: svg.viewBox.baseVal.y, w: svg.viewBox.baseVal.width, h: svg.viewBox.baseVal.height }
    : null;
  let view = { ...whole }; // the part of the drawing in view, in its own units

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
    // The pane sizes the drawing; the view box says which part of it is in view.
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  }

  function setView(v) {
    view = v;
    svg.setAttribute("viewBox", `${v.x} ${v.y} ${v.w} ${v.h}`);
  }

  /** The pane's height: the window below the pane's top, less the footer's line (side by side),
   *  or most of the screen (a phone, where everything stacks). */
  function sizePane() {
    const aside = document.querySelector("aside");
    const stacked = getComputedStyle(document.querySelector("main")).gridTemplateColumns.split(" ").length < 2;
    const top = pane.getBoundingClientRect().top + window.scrollY;
    const below = document.querySelector("footer").getBoundingClientRect().height + 24;
    const height = stacked ? Math.max(260, window.innerHeight * 0.6)
      : Math.max(260, window.innerHeight - top - below);
    pane.style.height = `${height}px`;
    const legend = pane.getBoundingClientRect().top - document.querySelector(".drawing").getBoundingClientRect().top;
    aside.style.height = stacked ? "" : `${height + legend}px`;
  }

  /** The whole graph in view. */
  function fit() {
    setView({ ...whole });
  }

  /** Zoom by `factor` about a point of the drawing (its centre unless given). */
  function zoom(factor, at) {
    const c = at || { x: view.x + view.w / 2, y: view.y + view.h / 2 };
    const w = Math.min(whole.w * 4, Math.max(whole.w / 40, view.w / factor));
    const h = (view.h * w) / view.w;
    setView({ x: c.x - ((c.x - view.x) * w) / view.w, y: c.y - ((c.y - view.y) * h) / view.h, w, h });
  }

  /** The point of the drawing under a point of the screen. */
  function drawingPoint(clientX, clientY) {
    const m = svg.getScreenCTM();
    if (!m) return null;
    const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse());
    // graphviz puts a transform on its top group; the view box is in the svg's own units
    return { x: p.x, y: p.y };
  }

  function bindZoom() {
    element("zoom-in").addEventListener("click", () => zoom(1.4));
    element("zoom-out").addEventListener("click", () => zoom(1 / 1.4));
    element("zoom-fit").addEventListener("click", fit);
    pane.addEventListener("wheel", (event) => {
      event.preventDefault();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, drawingPoint(event.clientX, event.clientY));
    }, { passive: false });
    // One pointer drags the view; two (fingers on a phone) pinch it.
    const pointers = new Map();
    let drag = null;
    let pinch = null;
    const spread = () => {
      const [a, b] = [...pointers.values()];
      return { d: Math.hypot(a.x - b.x, a.y - b.y), x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
    };
    pane.addEventListener("pointerdown", (event) => {
      suppressClick = false;
      if (event.button !== 0 || event.target.closest(".zoom")) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pointers.size === 2) {
        drag = null;
        pinch = { ...spread(), view: { ...view } };
      } else {
        drag = { x: event.clientX, y: event.clientY, view: { ...view }, moved: false };
      }
    });
    window.addEventListener("pointermove", (event) => {
      if (!pointers.has(event.pointerId)) return;
      pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
      if (pinch && pointers.size === 2) {
        const now = spread();
        setView(pinch.view);
        zoom(now.d / Math.max(1, pinch.d), drawingPoint(pinch.x, pinch.y));
        suppressClick = true;
        return;
      }
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return; // a click, not a drag
      drag.moved = true;
      pane.classList.add("panning");
      const scale = Math.max(drag.view.w / pane.clientWidth, drag.view.h / pane.clientHeight);
      setView({ ...drag.view, x: drag.view.x - dx * scale, y: drag.view.y - dy * scale });
    });
    const release = (event) => {
      pointers.delete(event.pointerId);
      if (drag && drag.moved) suppressClick = true;
      if (pointers.size < 2) pinch = null;
      drag = null;
      pane.classList.remove("panning");
    };
    window.addEventListener("pointerup", release);
    window.addEventListener("pointercancel", release);
  }
  let suppressClick = false;

  /** Pan so that `g` is in view, when it is not (the zoom stays as the learner set it). */
  function follow(g) {
    if (!g) return;
    const r = g.getBoundingClientRect();
    const b = pane.getBoundingClientRect();
    if (r.top >= b.top && r.bottom <= b.bottom && r.left >= b.left && r.right <= b.right) return;
    const c = drawingPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
    if (c) setView({ ...view, x: c.x - view.w / 2, y: c.y - view.h / 2 });
  }

  /** Scroll the box `box` (not the page) so that `el` is in it, in its middle. */
  function scrollInto(box, el) {
    if (!box || !el) return;
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const head = box.querySelector("thead");
    const top = b.top + (head ? head.getBoundingClientRect().height : 0);
    if (r.top >= top && r.bottom <= b.bottom) return;
    // to the middle of the box, or to its top when it is taller than the box
    const room = b.bottom - top;
    box.scrollTop += r.height > room ? r.top - top - 4 : (r.top + r.bottom) / 2 - (top + b.bottom) / 2;
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
  const localLine = (n, k, d) => d === null
    ? fillT("local_unknown", { prefix: prefix(n, k), node: n.name, input: name(n.inputs[k]) })
    : fillT("local", { prefix: prefix(n, k), node: n.name, input: name(n.inputs[k]), value: number(d) });

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
    const tangent = mode === "forward" ? tangentsFor(seed) : null;
    for (const n of nodes) {
      const state = stateAt(n.id, k);
      const g = element(`node-${n.id}`);
      for (const el of [g, element(`op-${n.id}`), element(`result-${n.id}`)]) setState(el, state);
      if (!TENSOR) put(textOf(g, "f-data"), fillT("data", { value: number(model.value.get(n.id)) }));
      if (n.requires_grad) put(textOf(g, "f-grad"), fieldText(n, state, k, tangent));
      n.inputs.forEach((input, k2) => {
        const e = element(`edge-${input}-${n.id}-${k2}`);
        setState(e, state);
        const sent = state === "current" || state === "done";
        if (TENSOR) {
          const edge = stepOf.has(n.id) ? model.steps[stepOf.get(n.id) - 1].edges[k2] : null;
          const text = sent && edge && edge.partial ? fillT("sends_vjp", { partial: summaryText(edge.partial) }) : "";
          put(textOf(e, "f-flow"), text);
          return;
        }
        const d = model.local.get(n.id)[k2];
        put(textOf(e, "f-local"), localLine(n, k2, d));
        let flow = "";
        if (sent && mode === "reverse") {
          const step = model.steps[stepOf.get(n.id) - 1];
          const partial = step.edges[k2].partial;
          if (partial !== null && d === null) {
            flow = fillT("sends_vjp", { partial: number(partial) });
          } else if (partial !== null) {
            const [a, b, c] = product(step.adjoint, d, partial);
            flow = fillT("sends", { adjoint: a, local: b, partial: c });
          }
        } else if (sent) {
          const t = tangent.get(input);
          const [a, b, c] = product(d, t, d * t);
          flow = fillT("adds", { local: a, tangent: b, share: c });
        }
        put(textOf(e, "f-flow"), flow);
      });
    }
  }

  /** The third field of a record: the adjoint (reverse) or the tangent (forward). */
  function fieldText(n, state, k, tangent) {
    if (mode === "forward") {
      return state === "pending" ? T.tangent_pending : fillT("tangent", { value: number(tangent.get(n.id)) });
    }
    const parts = receivedBy(n.id, k).map((p) => p.partial);
    if (state === "pending") {
      if (!parts.length) return T.grad_pending;
      const sofar = TENSOR ? gradsAt(k).get(n.id) : NUMBERS.sum(parts);
      return fillT("grad_so_far", { value: show(sofar) });
    }
    const adjoint = model.steps[stepOf.get(n.id) - 1].adjoint;
    if (state === "current" && !TENSOR && parts.length >= 2 && parts.length <= 4) {
      const [terms, value] = total(parts, adjoint);
      return fillT("grad_sum", { terms, value });
    }
    return fillT("grad", { value: show(adjoint) });
  }

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
      text = `Forward sweep, step ${k} of ${M}: ${n.name} = ${n.expression} gets ` +
        `${dot(n.name)} = ${tangentSum(n, t)}.`;
    }
    if (k === M) {
      text += ` One sweep gave ${dot(root.name)} = ∂${root.name}/∂${x} = ${number(t.get(ROOT))}: one ` +
        `input's derivative per forward sweep, where one reverse pass gives every input's.`;
    }
    return text;
  }

  /** viz.trace.tangent_sum: `5 × 1 + 2 × 0 = 5`, the shares ∂v/∂u·u̇ of the inputs that take a
   *  gradient, right at the digits shown. */
  function tangentSum(n, t) {
    const d = model.local.get(n.id);
    const terms = n.inputs.map((i, j) => [i, d[j]]).filter(([i]) => byId.get(i).requires_grad);
    if (!terms.length) return number(t.get(n.id));
    const operands = terms.flatMap(([i, dj]) => [dj, t.get(i)]);
    const combine = (v) => {
      let out = v[0] * v[1];
      for (let j = 2; j < v.length; j += 2) out = out + v[j] * v[j + 1];
      return out;
    };
    const [p, q] = NUMBERS.honestDigits(operands, t.get(n.id), combine);
    const products = terms.map(([i, dj]) => `${factor(dj, p)} × ${factor(t.get(i), p)}`);
    return `${products.join(" + ")} = ${number(t.get(n.id), q)}`;
  }

  /** `n = v3 + b = −6 + 6.881 = 0.881`: a node's expression with the numbers of its inputs. */
  function primalNumbers(n) {
    const values = n.inputs.map((i) => model.value.get(i));
    const out = model.value.get(n.id);
    const [p, q] = primalDigits(n, values, out);
    // viz.trace.numeric_args: the first operand of a + b, a − b, a × b, a / b without parentheses
    const args = values.map((v, j) => (j === 0 && n.arithmetic ? number(v, p) : factor(v, p)));
    return `${fill(n.template, args)} = ${number(out, q)}`;
  }

  function describeNode(id, k) {
    const n = byId.get(id);
    const root = byId.get(ROOT);
    const lines = [];
    const value = model.value.get(id);
    let head = n.inputs.length ? `${n.name} = ${n.expression}` : n.name;
    if (TENSOR) head += `: value ${summaryText(value)}, ${n.shape} ${n.dtype}`;
    else head += n.inputs.length ? ` = ${primalNumbers(n)}` : ` = ${number(value)}`;
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
      lines.push(`Chain rule: ${bar(n.name)} = Σ over the nodes c that use ${n.name} of c̄ · ∂c/∂${n.name} = ${symbols.join(" + ")}`);
      const arrived = [];
      for (const [c, arg] of from) {
        const sc = stepOf.get(c);
        const cs = model.steps[sc - 1];
        const e = cs.edges[arg];
        const what = TENSOR
          ? `${bar(name(c))} · ∂${name(c)}/∂${n.name} = ${summaryText(e.partial)}`
          : `${bar(name(c))} · ∂${name(c)}/∂${n.name} = ${times(cs.adjoint, e.local, e.partial)}`;
        if (sc <= k) {
          lines.push(`from ${name(c)} at step ${sc}: ${what}`);
          arrived.push(e.partial);
        } else {
          lines.push(`from ${name(c)}: not sent yet (step ${sc})`);
        }
      }
      if (done) {
        const adjoint = model.steps[s - 1].adjoint;
        let sum = show(adjoint);
        if (!TENSOR && arrived.length > 1) {
          const [terms, value] = total(receivedBy(id, k).map((p) => p.partial), adjoint);
          sum = `${terms} = ${value}`;
        }
        lines.push(`${bar(n.name)} = ${sum}` +
          (n.inputs.length ? "" : ` = ∂${root.name}/∂${n.name}, the gradient of this leaf.`));
      } else {
        lines.push(`${n.name} waits until every node that uses it has sent its part (step ${s}).`);
      }
    }
    if (done && n.inputs.length) {
      const step = model.steps[s - 1];
      const sends = step.edges.map((e) => {
        if (e.partial === null) return `to ${name(e.input)}: nothing, a constant`;
        if (TENSOR) return `to ${name(e.input)}: ${summaryText(e.partial)} (a vector-Jacobian product)`;
        return `to ${name(e.input)}: ${bar(n.name)} · ∂${n.name}/∂${name(e.input)} = ${times(step.adjoint, e.local, e.partial)}`;
      });
      lines.push(`Sends (step ${s}): ${sends.join("; ")}`);
    }
    return card(head, lines, programLines(s));
  }

  function describeTangent(n, k) {
    const t = tangentsFor(seed);
    const s = gradOrder.indexOf(n) + 1;
    if (s > k) return [`${dot(n.name)} is computed at step ${s} of the forward sweep.`];
    if (!n.inputs.length) {
      return [`${dot(n.name)} = ${number(t.get(n.id))}: ${n.id === seed ? "the chosen direction" : "another input, held still"}.`];
    }
    const symbols = n.inputs.filter((i) => byId.get(i).requires_grad).map((i) => `∂${n.name}/∂${name(i)} · ${dot(name(i))}`);
    return [`${dot(n.name)} = ${symbols.join(" + ")} = ${tangentSum(n, t)}`];
  }

  function describeEdge([a, b, k], step) {
    const n = byId.get(b);
    const head = `Edge ${name(a)} → ${n.name}: argument ${k + 1} of ${n.name} = ${n.expression}`;
    const lines = [];
    const s = stepOf.get(b);
    const vjp = programLines(s, a);
    if (TENSOR) {
      lines.push(`The local derivative ∂${n.name}/∂${name(a)} of ${n.op} is a Jacobian, not a ` +
        `number; the reverse pass sends back the vector-Jacobian product instead` +
        (vjp.length ? ", the program's line below (with the shapes):" : "."));
      const e = s ? model.steps[s - 1].edges[k] : null;
      if (!e || e.partial === null) lines.push(`${name(a)} is a constant: nothing is sent back.`);
      else if (mode === "reverse" && s <= step) lines.push(`Sent at step ${s}: ${summaryText(e.partial)}.`);
      else lines.push(`It is sent at step ${s}.`);
      return card(head, lines, vjp);
    }
    const p = PRIMITIVES[n.primitive];
    const d = model.local.get(b)[k];
    if (n.primitive === null) {
      lines.push(`${n.op} is a micrograd-style op: its _backward closure adds its partial adjoints ` +
        `to its inputs' grads without saying what ∂${n.name}/∂${name(a)} is, so it is unknown here.`);
    } else if (!p) {
      lines.push(`${n.primitive} (no JavaScript form): ∂${n.name}/∂${name(a)} = ${number(d)}.`);
    } else {
      const argValues = n.inputs.map((i) => model.value.get(i));
      if (p.args.length > p.arity) argValues.push(num(n.exponent));
      const here = p.args.map((arg, j) =>
        j < p.arity ? `${arg} = ${name(n.inputs[j])} = ${number(argValues[j])}` : `${arg} = ${number(argValues[j])}`);
      lines.push(`${n.primitive}: ${p.function}; here ${here.join(", ")}.`);
      lines.push(`Local derivative: ${p.derivatives[k]}, so ∂${n.name}/∂${name(a)} = ${number(d)}.`);
    }
    if (mode === "forward") {
      const t = tangentsFor(seed).get(a);
      lines.push(`Forward mode adds ∂${n.name}/∂${name(a)} · ${dot(name(a))} = ${times(d, t, d * t)} to ${dot(n.name)}.`);
      return card(head, lines);
    }
    const e = s ? model.steps[s - 1].edges[k] : null;
    if (!e || e.partial === null) {
      lines.push(`${name(a)} is a constant: the reverse pass sends nothing back along this edge.`);
    } else {
      const adjoint = model.steps[s - 1].adjoint;
      const sent = `${bar(n.name)} · ∂${n.name}/∂${name(a)} = ${times(adjoint, d, e.partial)}`;
      lines.push(s <= step ? `Partial adjoint sent back at step ${s}: ${sent}.`
        : `At step ${s} the reverse pass sends back ${bar(n.name)} · ∂${n.name}/∂${name(a)}.`);
    }
    return card(head, lines, vjp);
  }

  const card = (head, lines, code = []) =>
    `<h2>${escape(head)}</h2>` + lines.map((l) => `<p class="math">${escape(l)}</p>`).join("") +
    (code.length ? `<pre class="program-lines">${code.map(escape).join("\n")}</pre>` : "");

  function info(k) {
    if (selected && selected.node !== undefined) return describeNode(selected.node, k);
    if (selected && selected.edge) return describeEdge(selected.edge, k);
    if (mode === "reverse" && k > 0) return describeNode(model.steps[k - 1].node, k);
    if (mode === "forward" && k > 0) return describeNode(gradOrder[k - 1].id, k);
    return card("Click a node or an edge", [
      "A node shows how its adjoint is the sum of the partial adjoints it receives; " +
        "an edge shows its local derivative, formula and value, and the program's line for it.",
    ]);
  }

  // --- the program pane ---------------------------------------------------------------------

  const programLineElements = [...document.querySelectorAll("#adjoint-program .line")];
  const identifier = (text) => text.replace(/\W/g, "_").replace(/^(\d)/, "_$1");

  /** The program's lines of reverse step s; with `input`, only those that give that input's
   *  partial adjoint (`x1_bar = …` or `x1_bar += …`), or all of the step's if none does. */
  function programLines(s, input) {
    if (!s) return [];
    const lines = programLineElements.filter((el) => el.dataset.step === String(s));
    const code = lines.map((el) => el.textContent.trim()).filter((t) => t && !t.startsWith("#"));
    if (input === undefined) return code;
    const target = `${identifier(name(input))}_bar`;
    const mine = code.filter((t) => new RegExp(`^${target}\\s*\\+?=`).test(t));
    return mine.length ? mine : code;
  }

  function drawProgram(k) {
    const current = mode === "reverse" && k > 0 ? String(k) : null;
    let first = null;
    for (const el of programLineElements) {
      const on = el.dataset.step === current;
      el.classList.toggle("current", on);
      if (on && !first) first = el;
    }
    if (first) scrollInto(element("adjoint-program"), first);
  }

  // --- the trace table (Baydin et al. 2018: Table 3 in reverse mode, Table 2 in forward) -------

  function tableRows(k) {
    if (TENSOR) return tensorRows(k);
    const value = (id) => model.value.get(id);
    const out = [];
    const t = mode === "forward" ? tangentsFor(seed) : null;
    for (const n of rows) {
      const primal = n.inputs.length
        ? `${n.row} = ${n.expression} = ${primalNumbers(n)}`
        : `${n.row} = ${number(value(n.id))}`;
      const state = stateAt(n.id, k);
      const right = mode === "forward" ? tangentLines(n, t, state) : adjointLines(n, state);
      out.push({ id: n.id, primal, right, state });
    }
    const root = byId.get(ROOT);
    if (!root.row) return out; // a constant output: nothing takes a gradient
    const output = `y = ${root.name} = ${number(value(ROOT))}`;
    const right = [];
    if (mode === "forward") {
      const done = stateAt(ROOT, k) !== "pending";
      right.push(done ? `${dot("y")} = ${dot(root.name)} = ${number(t.get(ROOT))}` : `${dot("y")} = —`);
    }
    out.push({ id: null, primal: output, right, state: "output" });
    return out;
  }

  /** viz.trace.reverse_trace's right column, as the pass stands at this step. */
  function adjointLines(n, state) {
    const me = n.name;
    if (state === "pending") return [n.id === ROOT ? `${bar(me)} = ${bar("y")} = —` : `${bar(me)} = —`];
    const step = model.steps[stepOf.get(n.id) - 1];
    const lines = [];
    if (n.id === ROOT) lines.push(`${bar(me)} = ${bar("y")} = ${number(step.adjoint)}`);
    else {
      // What n received, listed by sender in creation order, as viz.trace lists it.
      const got = receivedBy(n.id, N).filter((p) => p.from !== null).sort((x, y) => x.from - y.from);
      const symbols = got.map((p) => partialName(me, name(p.from))).join(" + ") || "0";
      if (got.length > 1) {
        const [terms, value] = total(got.map((p) => p.partial), step.adjoint);
        lines.push(`${bar(me)} = ${symbols} = ${terms} = ${value}`);
      } else lines.push(`${bar(me)} = ${symbols} = ${number(step.adjoint)}`);
    }
    for (const e of step.edges) {
      if (e.partial === null) continue;
      const i = name(e.input);
      lines.push(`${partialName(i, me)} = ${bar(me)} ∂${me}/∂${i} = ${times(step.adjoint, e.local, e.partial)}`);
    }
    return lines;
  }

  /** viz.trace.forward_trace's right column. */
  function tangentLines(n, t, state) {
    if (state === "pending") return [`${dot(n.name)} = —`];
    if (!n.inputs.length) return [`${dot(n.name)} = ${number(t.get(n.id))}`];
    const symbols = n.inputs.filter((i) => byId.get(i).requires_grad)
      .map((i) => `∂${n.name}/∂${name(i)} ${dot(name(i))}`);
    return [`${dot(n.name)} = ${symbols.join(" + ")} = ${tangentSum(n, t)}`];
  }

  function tensorRows(k) {
    const sums = gradsAt(k);
    return [...nodes].sort((a, b) => a.id - b.id).map((n) => {
      const label = n.row || n.name;
      const primal = n.inputs.length ? `${label} = ${n.expression}: ${n.shape} ${n.dtype}` : `${label}: ${n.shape} ${n.dtype}`;
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
    const table = element("trace");
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
    scrollInto(element("trace-box"), table.querySelector("tbody.current"));
  }

  // --- going to a step --------------------------------------------------------------------------

  const slider = element("slider");
  let writingHash = false;

  function render() {
    const k = position[mode];
    document.body.dataset.step = String(k);
    document.body.dataset.mode = mode;
    slider.max = String(last());
    slider.value = String(k);
    element("counter").textContent = `${mode === "reverse" ? "step" : "sweep step"} ${k} of ${last()}`;
    element("prev").disabled = k === 0;
    element("first").disabled = k === 0;
    element("next").disabled = k === last();
    element("last").disabled = k === last();
    drawStep(k);
    follow(svg.querySelector("g.node.value.current"));
    element("status").textContent = status(k);
    element("info").innerHTML = info(k);
    drawTable(k);
    drawProgram(k);
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
    return mode === "forward" ? `#forward=${encodeURIComponent(name(seed))}&step=${k}` : `#step=${k}`;
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

  /** The input leaf called `key` (its name, or its id), or undefined. */
  function findInput(key) {
    const text = String(key).trim();
    const chosen = leaves.filter((n) => n.name === text);
    if (chosen.length) return chosen[0];
    return /^\d+$/.test(text) ? leaves.find((n) => n.id === Number(text)) : undefined;
  }

  function say(text) {
    const box = element("message");
    box.textContent = text;
    box.hidden = !text;
  }

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const forward = params.get("forward");
    mode = "reverse";
    say("");
    if (forward !== null) {
      const chosen = TENSOR ? undefined : findInput(forward);
      if (chosen && FORWARD_OFF) {
        say(`#forward=${forward}: no forward sweep here: ${FORWARD_OFF}; showing the reverse pass.`);
      } else if (chosen) {
        mode = "forward";
        seed = chosen.id;
      } else {
        const known = leaves.map((n) => n.name).join(", ");
        say(TENSOR ? `#forward=${forward}: a forward sweep needs a scalar graph; showing the reverse pass.`
          : `#forward=${forward}: this graph has no input of that name or id (its inputs: ${known || "none"}); showing the reverse pass.`);
      }
    }
    const k = Number(params.get("step"));
    position[mode] = Math.max(0, Math.min(last(), Number.isInteger(k) ? k : 0));
    syncModeControls();
  }

  function setMode(next, input) {
    if (next === "forward") {
      if (TENSOR) throw new Error("forward mode: tensor graphs have no numeric local derivatives");
      if (FORWARD_OFF) throw new Error(`forward mode: ${FORWARD_OFF}`);
      if (input !== undefined) {
        const n = findInput(input);
        if (!n) throw new Error(`forward mode: ${input} is not an input leaf (its inputs: ${leaves.map((l) => l.name).join(", ")})`);
        seed = n.id;
      }
    } else if (next !== "reverse") {
      throw new Error(`mode must be "reverse" or "forward", got ${next}`);
    }
    mode = next;
    say("");
    syncModeControls();
    render();
    writeHash();
  }

  function syncModeControls() {
    element("mode-reverse").checked = mode === "reverse";
    element("mode-forward").checked = mode === "forward";
    if (seed !== null) element("seed").value = String(seed);
  }

  // --- inputs -----------------------------------------------------------------------------------

  function setInput(id, x) {
    if (TENSOR) {
      throw new Error("setInput: tensor pages show Python's numbers; change the input in Python and make a new page");
    }
    if (RECOMPUTE_OFF) throw new Error(`setInput: ${RECOMPUTE_OFF}`);
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
    const box = element("inputs");
    const select = element("seed");
    if (TENSOR) {
      box.innerHTML = `<span class="hint">A tensor graph: adjoints are shown as shape and norm ` +
        `(values when at most 6). The forward sweep and input fields are for scalar graphs.</span>`;
      for (const id of ["mode-forward", "seed"]) element(id).disabled = true;
      return;
    }
    if (!seedIds.length) {
      // a graph of constants only, or one whose local derivatives are not all known (FORWARD_OFF):
      // no input to seed a forward sweep with
      for (const id of ["mode-forward", "seed"]) element(id).disabled = true;
    } else {
      select.innerHTML = seedIds.map((id) => `<option value="${id}">${escape(dot(name(id)))} = 1</option>`).join("");
    }
    if (!fieldIds.length) return;
    const off = RECOMPUTE_OFF ? " disabled" : ""; // the fields stay, to show the inputs' values
    box.innerHTML = `<span class="hint">inputs:</span>` + fieldIds.map((id) =>
      `<label>${escape(name(id))} = <input type="number" step="any" data-node="${id}" ` +
      `value="${num(byId.get(id).value)}"${off}></label>`).join(" ") +
      ` <button type="button" id="reset"${off}>reset</button> <span class="error" id="input-error"></span>` +
      (RECOMPUTE_OFF ? ` <span class="hint" id="inputs-note">Fixed: ${escape(RECOMPUTE_OFF)}.</span>` : "");
    for (const field of box.querySelectorAll("input")) {
      field.addEventListener("change", () => {
        if (field.value.trim() === "") return; // being edited: wait for a number
        const error = element("input-error");
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
    const button = element("play");
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
    element(id).addEventListener("click", (event) => {
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
    element("seed").addEventListener("change", (event) => {
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
        "+": () => zoom(1.4),
        "=": () => zoom(1.4),
        "-": () => zoom(1 / 1.4),
        "0": fit,
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
      if (suppressClick) {
        suppressClick = false;
        return;
      }
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
    // beyond docs/design.md: the forward view, the recorded steps as the page has them, names
    mode: () => mode,
    setMode: (next, input) => setMode(next, input),
    tangents: () => (TENSOR || FORWARD_OFF ? {} : asObject(tangentsFor(seed))),
    recorded: () => model.steps.map((s) => ({ node: s.node, adjoint: s.adjoint, edges: s.edges })),
    names: () => asObject(new Map(nodes.map((n) => [n.id, n.name]))),
    fit: () => fit(),
    zoom: (factor) => zoom(Number(factor)),
  };

  function start() {
    element("order-note").textContent = TRACE.order_note || "";
    buildInputs();
    prepareDrawing();
    sizePane();
    fit();
    window.addEventListener("resize", sizePane);
    bindControls();
    bindZoom();
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

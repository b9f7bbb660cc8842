// The Mustache subset of src/http/Template.hpp, in the browser, so rows rendered from live data
// use the very partials the server renders. Keep the two in step: same tags, same truthiness
// (missing, null, false, 0, "" and [] are falsy), same lookup, same escaping, same limits.

export const MAX_SECTION_DEPTH = 32;
export const DEFAULT_LIMITS = Object.freeze({
  maxOutput: 8 << 20,
  maxPartialDepth: 16,
  maxSteps: 20000000,
});

const NAME = /^[A-Za-z0-9_-]+$/;
const PARTIAL = /^[A-Za-z0-9_./-]+$/;

function position(text, offset) {
  let line = 1;
  let column = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return `${line}:${column}`;
}

function splitName(name) {
  if (name === ".") return [];
  const parts = name.split(".");
  return parts.every((p) => NAME.test(p)) ? parts : null;
}

/** Compiles template text; throws SyntaxError "LINE:COLUMN: message". */
export function compile(text) {
  const nodes = [];
  const open = [];
  const fail = (offset, message) => {
    throw new SyntaxError(`${position(text, offset)}: ${message}`);
  };
  // Text is merged into the previous text node, but never across a section's end: the text
  // after "{{/x}}" would otherwise become part of the section.
  let sealed = 0;
  const addText = (s) => {
    if (!s) return;
    const last = nodes.length > sealed ? nodes[nodes.length - 1] : null;
    if (last && last.kind === "text") last.text += s;
    else nodes.push({ kind: "text", text: s });
  };
  let i = 0;
  while (i < text.length) {
    const tag = text.indexOf("{{", i);
    if (tag < 0) {
      addText(text.slice(i));
      break;
    }
    addText(text.slice(i, tag));
    let inner;
    let triple = false;
    if (text[tag + 2] === "{") {
      triple = true;
      const close = text.indexOf("}}}", tag + 3);
      if (close < 0) fail(tag, "unclosed tag '{{{' (expected '}}}')");
      inner = text.slice(tag + 3, close);
      i = close + 3;
    } else {
      const close = text.indexOf("}}", tag + 2);
      if (close < 0) fail(tag, "unclosed tag '{{' (expected '}}')");
      inner = text.slice(tag + 2, close);
      i = close + 2;
    }
    inner = inner.trim();
    const sigil = triple || !inner ? "" : inner[0];
    if (sigil === "!") continue;
    if (sigil === "=") fail(tag, "set-delimiter tags are not supported");
    if ("#^/&>".includes(sigil) && sigil) inner = inner.slice(1).trim();
    if (!inner) fail(tag, "empty tag");
    if (sigil === ">") {
      if (!PARTIAL.test(inner) || inner.startsWith("/") || inner.includes("..")) {
        fail(tag, `invalid partial name '${inner}'`);
      }
      nodes.push({ kind: "partial", text: inner });
      continue;
    }
    const name = splitName(inner);
    if (!name) fail(tag, `invalid name '${inner}'`);
    if (sigil === "/") {
      if (!open.length) fail(tag, `'{{/${inner}}}' closes no open section`);
      const section = nodes[open[open.length - 1].node];
      if (section.name.join(".") !== name.join(".")) {
        fail(tag, `'{{/${inner}}}' does not match the open section '${section.name.join(".") || "."}'`);
      }
      section.end = nodes.length;
      sealed = nodes.length;
      open.pop();
      continue;
    }
    if (sigil === "#" || sigil === "^") {
      if (open.length >= MAX_SECTION_DEPTH) fail(tag, `sections nested deeper than ${MAX_SECTION_DEPTH}`);
      open.push({ node: nodes.length, offset: tag });
      nodes.push({ kind: sigil === "#" ? "section" : "inverted", name, end: 0 });
      continue;
    }
    nodes.push({ kind: triple || sigil === "&" ? "raw" : "escaped", name });
  }
  if (open.length) {
    const last = open[open.length - 1];
    fail(last.offset, `section '${nodes[last.node].name.join(".") || "."}' is never closed`);
  }
  return { nodes };
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function truthy(v) {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (typeof v === "number" && Number.isNaN(v)) return false;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function member(v, key) {
  if (isObject(v)) return Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
  if (Array.isArray(v) && /^[0-9]+$/.test(key)) return v[Number(key)];
  return undefined;
}

function lookup(stack, name) {
  if (!name.length) return stack[stack.length - 1];
  let found;
  let hit = false;
  for (let i = stack.length - 1; i >= 0; i--) {
    const ctx = stack[i];
    if (isObject(ctx) && Object.prototype.hasOwnProperty.call(ctx, name[0])) {
      found = ctx[name[0]];
      hit = true;
      break;
    }
  }
  if (!hit) return undefined;
  for (let i = 1; i < name.length && found !== undefined; i++) found = member(found, name[i]);
  return found;
}

function valueText(v) {
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  if (typeof v === "boolean") return v ? "true" : "false";
  return "";
}

/**
 * Renders a compiled template. `partials(name)` returns a compiled template or null; `stack`
 * is the context stack (outermost first) when more than one context is wanted.
 */
export function render(template, data, partials = () => null, limits = DEFAULT_LIMITS, stack = null) {
  const state = { out: "", steps: 0, depth: 0, stack: stack ? [...stack] : [data], partials, limits };
  renderRange(template, 0, template.nodes.length, state);
  return state.out;
}

function step(state) {
  if (++state.steps > state.limits.maxSteps) {
    throw new Error(`template rendering took more than ${state.limits.maxSteps} steps`);
  }
}

function append(state, s) {
  state.out += s;
  if (state.out.length > state.limits.maxOutput) {
    throw new Error(`template output larger than ${state.limits.maxOutput} bytes`);
  }
}

function renderRange(t, begin, end, state) {
  for (let i = begin; i < end; i++) {
    step(state);
    const n = t.nodes[i];
    switch (n.kind) {
      case "text":
        append(state, n.text);
        break;
      case "escaped":
      case "raw": {
        const text = valueText(lookup(state.stack, n.name));
        append(state, n.kind === "escaped" ? escapeHtml(text) : text);
        break;
      }
      case "section": {
        const v = lookup(state.stack, n.name);
        if (truthy(v)) {
          if (Array.isArray(v)) {
            for (const el of v) {
              step(state);
              state.stack.push(el);
              renderRange(t, i + 1, n.end, state);
              state.stack.pop();
            }
          } else {
            state.stack.push(v);
            renderRange(t, i + 1, n.end, state);
            state.stack.pop();
          }
        }
        i = n.end - 1;
        break;
      }
      case "inverted":
        if (!truthy(lookup(state.stack, n.name))) renderRange(t, i + 1, n.end, state);
        i = n.end - 1;
        break;
      case "partial": {
        const p = state.partials(n.text);
        if (!p) throw new Error(`unknown partial '${n.text}'`);
        if (state.depth >= state.limits.maxPartialDepth) {
          throw new Error(`partials nested deeper than ${state.limits.maxPartialDepth} (at '${n.text}')`);
        }
        state.depth++;
        renderRange(p, 0, p.nodes.length, state);
        state.depth--;
        break;
      }
    }
  }
}

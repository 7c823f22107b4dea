// Caption overlay for an OBS browser source, served at /overlay. Query string:
//   session  live session name (default "default")
//   lang     comma-separated language codes, one block each in that order; "src" = the spoken language (default "src")
//   fade     seconds after the last update before a block fades out (default 6; 0 = never)
//   lines    max lines per block, 1 or 2 (default 2); longer text shows its end
//   size     font size in px (default 42)
//   tail     1: a translation of a sentence still being said shows its unstable tail lighter (default); 0: only
//            its stable part, so no text shown is rewritten until the sentence's final translation
//   market   a market id of the host's pipeline: the product on air as that market sees it (name in its language,
//            its price, its ad label), top left; without it no product is shown
//   token    the server's access token, passed on to the caption WebSocket (and to this page's assets by the server)
//   ws       full WebSocket URL (default ws(s)://<this host>/ws/captions?session=<session>&token=<token>)
"use strict";

const params = new URLSearchParams(location.search);
const number = (key, fallback) => {
  const value = parseFloat(params.get(key));
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
const session = params.get("session") || "default";
const wanted = (params.get("lang") || "src").split(",").map((s) => s.trim()).filter(Boolean);
const fadeSeconds = number("fade", 6);
const maxLines = Math.min(2, Math.max(1, Math.round(number("lines", 2))));
const showTail = number("tail", 1) !== 0;
const market = params.get("market");
const RTL = new Set(["ar", "fa", "he", "ur"]);
const UNSPACED = new Set(["zh", "ja", "th"]);

document.documentElement.style.setProperty("--size", `${number("size", 42)}px`);

const root = document.getElementById("captions");
const UNTRANSLATED = "…";
// slot ("src" or a code) -> {el, lang, sentence, finals: Map(segment -> text), partial: {segment, text}, timer}
const blocks = new Map();

for (const slot of new Set(wanted)) {
  const el = document.createElement("div");
  el.className = "block hidden";
  el.innerHTML = '<span class="final"></span><span class="partial"></span>';
  root.appendChild(el);
  blocks.set(slot, { el, lang: null, sentence: null, finals: new Map(), partial: null, timer: null });
  if (slot !== "src") setLanguage(blocks.get(slot), slot);
}

function setLanguage(block, lang) {
  block.lang = lang;
  block.el.dataset.lang = lang;
  block.el.lang = lang;
  block.el.dir = RTL.has(lang) ? "rtl" : "ltr";
}

// Spaced languages get a space between parts unless the part brings its own; zh/ja/th get none.
function join(parts, lang) {
  const unspaced = UNSPACED.has(lang);
  const text = parts.reduce((joined, part) => {
    const next = unspaced ? part.trim() : part;
    return joined + (joined && next && !unspaced && !/^\s/.test(next) ? " " : "") + next;
  }, "");
  return text.replace(/\s+/g, " ").trim();
}

function render(block) {
  const [finalEl, partialEl] = block.el.children;
  let text = join([...block.finals.values()], block.lang);
  let rest = block.partial ? join([text, block.partial.text], block.lang).slice(text.length) : "";
  // Longer than the allowed lines: drop leading words (characters for zh/ja/th) until the end of the text fits.
  const cut = (s) => (UNSPACED.has(block.lang) ? s.slice(1) : s.replace(/^\s*\S+/, "")).trimStart();
  const limit = (maxLines + 0.5) * parseFloat(getComputedStyle(block.el).lineHeight);
  for (;;) {
    finalEl.textContent = text;
    partialEl.textContent = rest;
    if (block.el.scrollHeight <= limit || !(text + rest).trim()) break;
    if (text) text = cut(text);
    else rest = cut(rest);
  }
  block.el.classList.remove("hidden");
  clearTimeout(block.timer);
  if (fadeSeconds > 0) block.timer = setTimeout(() => block.el.classList.add("hidden"), fadeSeconds * 1000);
}

function onCaption(event) {
  const slot = event.source && blocks.has("src") ? "src" : event.lang;
  const block = blocks.get(slot);
  if (!block || (slot === "src" && !event.source)) return;
  if (block.lang !== event.lang) setLanguage(block, event.lang);
  // A translation (of a sentence still being said, or its final one) replaces the block; a source segment of a new
  // sentence starts the line over.
  if (!event.source || event.sentence !== block.sentence) {
    block.sentence = event.sentence;
    block.finals = new Map();
    block.partial = null;
  }
  block.el.classList.toggle("untranslated", Boolean(event.untranslated));
  if (event.final) {
    // No translation kept the sentence's facts: a mark, not a wrong number on screen.
    block.finals.set(event.segment, event.untranslated ? UNTRANSLATED : event.text);
    if (block.partial?.segment === event.segment) block.partial = null;
  } else if (!event.source) {
    // A translation of a sentence still being said: its stable part as text, the rest lighter (or not at all).
    block.finals.set(event.segment, event.stable || "");
    block.partial = showTail ? { segment: event.segment, text: event.unstable ?? event.text } : null;
  } else if (!block.finals.has(event.segment)) {
    block.partial = { segment: event.segment, text: event.text };
  }
  render(block);
}

// The host's product on air, for the page's market only: text set as text, never as markup (names are studio data).
function onProduct(event) {
  if (!market || event.market !== market) return;
  const el = document.getElementById("product");
  const [name, price, label] = el.children;
  name.textContent = event.name;
  price.textContent = event.price;
  label.textContent = event.label;
  label.hidden = !event.label;
  el.lang = event.lang;
  el.dir = RTL.has(event.lang) ? "rtl" : "ltr";
  el.dataset.market = event.market;
  el.classList.remove("hidden");
}

let backoff = 500;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const token = params.get("token");
  const auth = token ? `&token=${encodeURIComponent(token)}` : "";
  const url = params.get("ws") || `${scheme}://${location.host}/ws/captions?session=${encodeURIComponent(session)}${auth}`;
  const socket = new WebSocket(url);
  let opened = 0;
  socket.onopen = () => { opened = Date.now(); };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "caption") onCaption(event);
    else if (event.type === "product") onProduct(event);
    else if (event.type === "error") console.warn("caption source error:", event.message);
  };
  socket.onclose = () => {
    if (opened && Date.now() - opened > 10000) backoff = 500; // it had been working: start the backoff over
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 5000);
  };
}
connect();

// Caption overlay for an OBS browser source. Query string:
//   session  live session name (default "default")
//   lang     comma-separated blocks, in order; "src" = the spoken language (default "src")
//   fade     seconds without updates before a block fades out (default 6; 0 = never)
//   lines    lines per block, at most 2 (default 2)
//   size     font size in px (default 42)
//   ws       full WebSocket URL, to read captions from another host
"use strict";

const params = new URLSearchParams(location.search);
const session = params.get("session") || "default";
const wanted = (params.get("lang") || "src").split(",").map((s) => s.trim()).filter(Boolean);
const fadeSeconds = Number(params.get("fade") ?? 6);
const maxLines = Math.min(2, Math.max(1, Number(params.get("lines") || 2)));
const RTL = new Set(["ar", "fa", "he", "ur"]);
const UNSPACED = new Set(["zh", "ja", "th"]);

document.documentElement.style.setProperty("--size", `${Number(params.get("size") || 42)}px`);
document.documentElement.style.setProperty("--lines", String(maxLines));

const root = document.getElementById("captions");
const blocks = new Map(); // slot ("src" or a code) -> {el, finals: [], partial, sentence, timer}

for (const slot of wanted) {
  const el = document.createElement("div");
  el.className = "block hidden";
  el.innerHTML = '<span class="final"></span><span class="partial"></span>';
  root.appendChild(el);
  blocks.set(slot, { el, finals: [], partial: "", sentence: -1, timer: null });
  if (slot !== "src") setLanguage(blocks.get(slot), slot);
}

function setLanguage(block, lang) {
  block.lang = lang;
  block.el.dataset.lang = lang;
  block.el.lang = lang;
  block.el.dir = RTL.has(lang) ? "rtl" : "ltr";
}

function join(parts, lang) {
  const sep = UNSPACED.has(lang) ? "" : " ";
  return parts.map((p) => p.trim()).filter(Boolean).join(sep);
}

function render(block) {
  const finalEl = block.el.querySelector(".final");
  const partialEl = block.el.querySelector(".partial");
  let finals = block.finals.slice();
  const partial = block.partial.trim();
  const show = () => {
    const text = join(finals, block.lang);
    finalEl.textContent = text;
    partialEl.textContent = partial ? (text && !UNSPACED.has(block.lang) ? " " : "") + partial : "";
  };
  show();
  // Too long for the allowed lines: drop the oldest words (or characters) until the end of the text fits.
  const limit = maxLines * parseFloat(getComputedStyle(block.el).lineHeight) + 2;
  while (block.el.scrollHeight > limit && finals.join("").length > 0) {
    const first = finals[0];
    const cut = UNSPACED.has(block.lang) ? 1 : Math.max(1, first.trimStart().indexOf(" ") + 1);
    finals[0] = first.trimStart().slice(cut);
    if (!finals[0].trim()) finals = finals.slice(1);
    show();
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
  if (event.sentence !== block.sentence) {
    block.sentence = event.sentence;
    block.finals = [];
    block.partial = "";
  }
  if (!event.source) {
    block.finals = [event.text];
  } else if (event.final) {
    block.finals.push(event.text);
    block.partial = "";
  } else {
    block.partial = event.text;
  }
  render(block);
}

let backoff = 500;
function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = params.get("ws") || `${scheme}://${location.host}/ws/captions?session=${encodeURIComponent(session)}`;
  const socket = new WebSocket(url);
  socket.onopen = () => { backoff = 500; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "caption") onCaption(event);
    else if (event.type === "error") console.warn("caption source:", event.message);
  };
  socket.onclose = () => {
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 5000);
  };
}
connect();

// docpipe viewer: plain JS, same origin, nothing loaded from elsewhere.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { docs: [], sizes: {}, view: null, poll: null, pageUrl: null };

function token() { return sessionStorage.getItem("docpipe-token") || ""; }

function authHeaders(extra = {}) {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

function askForToken() {
  $("token-box").classList.remove("hidden");
  $("token").focus();
}

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: authHeaders(options.headers || {}) });
  if (res.status === 401) { askForToken(); throw new Error("an API token is required"); }
  if (!res.ok) {
    let detail = res.statusText;
    try { detail = (await res.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return res;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children) node.append(c);
  return node;
}

// ---- upload ---------------------------------------------------------------------------

function upload(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const xhr = new XMLHttpRequest();
  const bar = $("upload-progress");
  bar.classList.remove("hidden");
  bar.value = 0;
  $("upload-status").textContent = `Uploading ${files.length} file(s)…`;
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
  xhr.onload = () => {
    bar.classList.add("hidden");
    if (xhr.status === 401) { askForToken(); $("upload-status").textContent = "An API token is required."; return; }
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
    if (xhr.status >= 300) {
      $("upload-status").textContent = `Refused: ${(body && body.detail) || xhr.statusText}`;
      return;
    }
    $("upload-status").textContent = `Uploaded: ${body.map((d) => d.name).join(", ")}; ingesting…`;
    refreshDocs();
  };
  xhr.onerror = () => { bar.classList.add("hidden"); $("upload-status").textContent = "Upload failed."; };
  xhr.open("POST", "/api/documents");
  for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
  xhr.send(form);
}

function setupDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    upload([...e.dataTransfer.files]);
  });
  $("file-input").addEventListener("change", (e) => { upload([...e.target.files]); e.target.value = ""; });
}

// ---- documents ------------------------------------------------------------------------

async function refreshDocs() {
  let docs;
  try { docs = await (await api("/api/documents")).json(); } catch (e) { $("upload-status").textContent = e.message; return; }
  state.docs = docs;
  renderDocs();
  const busy = docs.some((d) => d.status === "queued" || d.status === "ingesting");
  clearTimeout(state.poll);
  if (busy) state.poll = setTimeout(refreshDocs, 1000);
  else if ($("upload-status").textContent.endsWith("ingesting…")) $("upload-status").textContent = "All documents ingested.";
}

function renderDocs() {
  const list = $("doc-list");
  list.replaceChildren();
  for (const d of state.docs) {
    const li = el("li", { dataset: { id: d.id, status: d.status } },
      el("span", { className: "name", textContent: d.name }),
      el("span", { className: `status status-${d.status}`, textContent: d.status }),
      el("span", { className: "muted", textContent: d.status === "ok" ? ` ${d.pages} p` : "" }));
    if (d.error) li.append(el("div", { className: "error", textContent: d.error }));
    if (d.status === "ok") {
      li.append(el("div", { className: "actions" },
        el("button", { type: "button", textContent: "View", onclick: () => showPage(d.id, 1, null) }),
        el("button", { type: "button", textContent: "Extract invoice", onclick: () => extract(d, "invoice") }),
        el("button", { type: "button", textContent: "Extract receipt", onclick: () => extract(d, "receipt") })));
    }
    list.append(li);
  }
}

async function pageSizes(id) {
  if (!state.sizes[id]) state.sizes[id] = (await (await api(`/api/documents/${id}`)).json()).page_sizes;
  return state.sizes[id];
}

// ---- page viewer ----------------------------------------------------------------------

async function showPage(id, page, bbox) {
  const sizes = await pageSizes(id);
  const doc = state.docs.find((d) => d.id === id);
  const img = $("page-img");
  const size = sizes[page - 1];
  $("highlight").classList.add("hidden");
  if (!state.view || state.view.id !== id || state.view.page !== page) {
    if (size && size.native) {
      // Office, web and mail pages have no image: their elements, as HTML, each with its box.
      const html = await (await api(`/api/documents/${id}/pages/${page}.html`)).text();
      $("page-html").innerHTML = html;  // the server's serializer escapes every text
      img.removeAttribute("src");
    } else {
      const blob = await (await api(`/api/documents/${id}/pages/${page}.png`)).blob();
      if (state.pageUrl) URL.revokeObjectURL(state.pageUrl);
      state.pageUrl = URL.createObjectURL(blob);
      await new Promise((resolve, reject) => { img.onload = resolve; img.onerror = reject; img.src = state.pageUrl; });
    }
  }
  $("page-html").classList.toggle("hidden", !(size && size.native));
  state.view = { id, page, bbox, size };
  img.dataset.doc = id;
  img.dataset.page = String(page);
  $("page-title").textContent = `${doc ? doc.name : id}, page ${page} of ${sizes.length}`;
  $("page-nav").classList.toggle("hidden", sizes.length < 2);
  $("page-label").textContent = `${page} / ${sizes.length}`;
  if (size && size.native) markCited(bbox);
  else placeHighlight();
}

// On a native page the cited box is one element's or one table row's: mark the smallest
// element whose box holds the citation's centre.
function markCited(bbox) {
  const wrap = $("page-html");
  wrap.querySelectorAll(".cited").forEach((n) => n.classList.remove("cited"));
  if (!bbox) return;
  const cx = (bbox[0] + bbox[2]) / 2;
  const cy = (bbox[1] + bbox[3]) / 2;
  let best = null;
  let bestArea = Infinity;
  for (const node of wrap.querySelectorAll("[data-bbox]")) {
    const [x0, y0, x1, y1] = node.dataset.bbox.split(" ").map(Number);
    const area = (x1 - x0) * (y1 - y0);
    if (x0 - 1 <= cx && cx <= x1 + 1 && y0 - 1 <= cy && cy <= y1 + 1 && area < bestArea) { best = node; bestArea = area; }
  }
  if (best) {
    best.classList.add("cited");
    best.dataset.citedBbox = JSON.stringify(bbox);
    best.scrollIntoView({ block: "nearest" });
  }
}

// Boxes are PDF points from the page's top-left; the image shows the page at its own scale.
function placeHighlight() {
  const v = state.view;
  const box = $("highlight");
  if (!v || !v.bbox || !v.size) { box.classList.add("hidden"); return; }
  const img = $("page-img");
  const scale = img.clientWidth / v.size.width;
  const [x0, y0, x1, y1] = v.bbox;
  box.style.left = `${img.offsetLeft + img.clientLeft + x0 * scale}px`;
  box.style.top = `${img.offsetTop + img.clientTop + y0 * scale}px`;
  box.style.width = `${(x1 - x0) * scale}px`;
  box.style.height = `${(y1 - y0) * scale}px`;
  box.dataset.page = String(v.page);
  box.dataset.doc = v.id;
  box.dataset.bbox = JSON.stringify(v.bbox);
  box.classList.remove("hidden");
  box.scrollIntoView({ block: "nearest" });
}

function turnPage(delta) {
  const v = state.view;
  if (!v) return;
  const n = state.sizes[v.id].length;
  const page = Math.min(n, Math.max(1, v.page + delta));
  if (page !== v.page) showPage(v.id, page, null);
}

// ---- ask ------------------------------------------------------------------------------

async function citeTo(c, button) {
  let doc = state.docs.find((d) => d.name === c.document && d.status === "ok");
  if (!doc) { await refreshDocs(); doc = state.docs.find((d) => d.name === c.document && d.status === "ok"); }
  if (!doc) { $("page-title").textContent = `${c.document} is not on this server.`; return; }
  document.querySelectorAll(".citation.active").forEach((b) => b.classList.remove("active"));
  button.classList.add("active");
  await showPage(doc.id, c.page, c.bbox);
}

// NDJSON from /api/ask: {"token"} lines while an LLM writes, then the answer object.
async function askStreaming(question) {
  const res = await api("/api/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ question, k: 5, stream: true }),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let written = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line);
      if (msg.error) throw new Error(msg.error);
      if ("token" in msg) { written += msg.token; $("answer").textContent = written; continue; }
      return msg;
    }
    if (done) throw new Error("the answer stream ended early");
  }
}

async function ask(e) {
  e.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("ask-button").disabled = true;
  $("answer").textContent = "Thinking…";
  $("citations").replaceChildren();
  try {
    const a = await askStreaming(question);
    $("answer").textContent = a.answer;
    $("answer").classList.toggle("ungrounded", !a.grounded);
    a.citations.forEach((c, i) => {
      const b = el("button", {
        type: "button",
        className: "citation",
        dataset: { index: String(i), page: String(c.page), bbox: JSON.stringify(c.bbox), document: c.document },
      }, `[${i + 1}] ${c.document}, page ${c.page}: “${c.text}”`);
      b.addEventListener("click", () => citeTo(c, b));
      $("citations").append(el("li", {}, b));
    });
  } catch (err) {
    $("answer").textContent = `Error: ${err.message}`;
  } finally {
    $("ask-button").disabled = false;
  }
}

// ---- extraction -----------------------------------------------------------------------

async function extract(doc, schema) {
  const form = $("extract-form");
  $("extraction").classList.remove("hidden");
  $("extraction-doc").textContent = `${doc.name} (${schema}) …`;
  form.replaceChildren();
  let rec;
  try {
    rec = await (await api("/api/extract", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ document_id: doc.id, schema }),
    })).json();
  } catch (err) {
    $("extraction-doc").textContent = `${doc.name}: ${err.message}`;
    return;
  }
  $("extraction-doc").textContent = `${doc.name} (${rec.schema}, ${rec.status})`;
  for (const [field, value] of Object.entries(rec.data)) {
    const prov = rec.provenance[field];
    const text = value === null ? "" : typeof value === "object" ? JSON.stringify(value, null, 1) : String(value);
    const input = typeof value === "object" && value !== null
      ? el("textarea", { rows: 4, value: text, readOnly: true })
      : el("input", { type: "text", value: text, readOnly: true });
    input.name = field;
    input.id = `field-${field}`;
    if (prov) {
      input.classList.add("has-box");
      input.title = `page ${prov.page}: ${prov.text}`;
      input.dataset.page = String(prov.page);
      input.dataset.bbox = JSON.stringify(prov.bbox);
      const focus = () => {
        form.querySelectorAll(".active").forEach((n) => n.classList.remove("active"));
        input.classList.add("active");
        showPage(doc.id, prov.page, prov.bbox);
      };
      input.addEventListener("click", focus);
      input.addEventListener("focus", focus);
    }
    form.append(el("label", { htmlFor: input.id, textContent: field }), input);
  }
  for (const err of rec.errors) form.append(el("div", { className: "error", textContent: err }), el("span"));
}

// ---- start ----------------------------------------------------------------------------

async function health() {
  try {
    const h = await (await fetch("/healthz")).json();
    $("health").textContent = `home: ${h.home}`;
  } catch (_) { $("health").textContent = "server unreachable"; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("token").value = token();
  $("token").addEventListener("change", (e) => { sessionStorage.setItem("docpipe-token", e.target.value); refreshDocs(); });
  $("ask-form").addEventListener("submit", ask);
  $("prev-page").addEventListener("click", () => turnPage(-1));
  $("next-page").addEventListener("click", () => turnPage(1));
  window.addEventListener("resize", () => { if (!(state.view && state.view.size && state.view.size.native)) placeHighlight(); });
  setupDrop();
  health();
  refreshDocs();
});

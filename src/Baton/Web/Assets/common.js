// Shared by the dashboard and the session page. Every piece of task or agent text goes into the page as text
// (textContent, never innerHTML): a title such as <img src=x onerror=...> shows as those characters.
"use strict";

const Baton = (() => {
  /** Makes an element; props: class, text, href, title, attrs (object); children: nodes or strings (as text). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      if (props.class) node.className = props.class;
      if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
      if (props.href) node.setAttribute("href", props.href);
      if (props.title) node.title = String(props.title);
      for (const [name, value] of Object.entries(props.attrs || {})) {
        if (value !== undefined && value !== null) node.setAttribute(name, String(value));
      }
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const number = new Intl.NumberFormat(undefined);

  function tokens(n) { return n === null || n === undefined ? "–" : number.format(n); }

  function cost(usd) {
    if (usd === null || usd === undefined) return "–";
    const value = Number(usd);
    return "$" + (value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(4));
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
    seconds = Math.max(0, Math.round(seconds));
    const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    if (h > 0) return h + " h " + String(m).padStart(2, "0") + " min";
    if (m > 0) return m + " min " + String(s).padStart(2, "0") + " s";
    return s + " s";
  }

  function parse(when) { return when ? new Date(when) : null; }

  /** "12 s ago", "in 3 min"; the exact local time goes in a tooltip. */
  function relative(when, now) {
    const date = parse(when);
    if (!date) return "–";
    const seconds = ((now || Date.now()) - date.getTime()) / 1000;
    if (Math.abs(seconds) < 1.5) return "now";
    return seconds >= 0 ? duration(seconds) + " ago" : "in " + duration(-seconds);
  }

  function clock(when) {
    const date = parse(when);
    return date ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" }) : "";
  }

  function exact(when) { const date = parse(when); return date ? date.toLocaleString() : ""; }

  function sessionUrl(name) { return "/sessions/" + encodeURIComponent(name); }

  function apiSessionUrl(name) { return "/api/v1/sessions/" + encodeURIComponent(name); }

  /** fetch + JSON, never throwing: { ok, status, body, error } with the API's error object when there is one. */
  async function api(path, options) {
    try {
      const response = await fetch(path, Object.assign({ credentials: "same-origin", cache: "no-store" }, options || {}));
      let body = null;
      if ((response.headers.get("content-type") || "").startsWith("application/json")) body = await response.json();
      const error = body && body.error ? body.error : (!response.ok ? { code: "http_" + response.status, message: "HTTP " + response.status } : null);
      return { ok: response.ok && !error, status: response.status, body, error };
    } catch (e) {
      return { ok: false, status: 0, body: null, error: { code: "unreachable", message: "the orchestrator cannot be reached (" + (e.message || e) + ")" } };
    }
  }

  function explain(error) {
    if (!error) return "";
    if (error.code === "unauthorized") return "This server needs its token: open the sign-in link `baton run` printed.";
    return error.message + " (" + error.code + ")";
  }

  /**
   * The live connection: server-sent events from /api/v1/events. onEvent(type, data) for each update; onOpen(first)
   * after every (re)connect, when updates may have been missed. The browser reconnects by itself; a stream the server
   * refused is retried every 3 s.
   */
  function live(indicator, onEvent, onOpen) {
    let source = null;
    let opens = 0;
    function show(text, up) {
      indicator.textContent = text;
      indicator.className = "pill " + (up ? "live" : "down");
    }
    function connect() {
      source = new EventSource("/api/v1/events");
      source.onopen = () => { show("live", true); onOpen(opens++ === 0); };
      source.onerror = () => {
        show("reconnecting…", false);
        if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
      };
      for (const type of ["state", "session", "refresh"]) {
        source.addEventListener(type, (message) => {
          let data = null;
          try { data = JSON.parse(message.data); } catch (e) { return; }
          onEvent(type, data);
        });
      }
    }
    show("connecting…", false);
    connect();
  }

  /** A box to answer a session that waits for a person; keeps its text across re-renders (the caller reuses it). */
  function answerBox(session, onSent) {
    const text = el("textarea", { attrs: { name: "answer", rows: 2, placeholder: "Your answer to the agent…", "aria-label": "Answer for " + session } });
    const send = el("button", { class: "primary", text: "Send answer", attrs: { type: "submit" } });
    const result = el("span", { class: "result", attrs: { role: "status" } });
    const form = el("form", { class: "answer", attrs: { "data-answer": session } }, text, el("div", { class: "row" }, send, result));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = text.value.trim();
      if (!answer) { result.className = "result bad"; result.textContent = "Write an answer first."; return; }
      send.disabled = true;
      result.className = "result"; result.textContent = "sending…";
      const reply = await api(apiSessionUrl(session) + "/answer", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: answer }),
      });
      send.disabled = false;
      if (reply.ok) {
        text.value = "";
        result.className = "result ok"; result.textContent = "Sent: the agent continues with your answer.";
        if (onSent) onSent();
      } else {
        result.className = "result bad"; result.textContent = explain(reply.error);
      }
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    return form;
  }

  /** Runs fn at most once per `ms`, and once more after the last call. */
  function throttle(fn, ms) {
    let timer = null, again = false;
    return function run() {
      if (timer) { again = true; return; }
      fn();
      timer = setTimeout(() => { timer = null; if (again) { again = false; run(); } }, ms);
    };
  }

  return { el, tokens, cost, duration, relative, clock, exact, sessionUrl, apiSessionUrl, api, explain, live, answerBox, throttle };
})();

// The dashboard at /: the orchestrator's state (/api/v1/state) and its sessions (/api/v1/sessions), kept live by
// server-sent events. A `state` event carries the whole snapshot and is drawn as it comes; a `session` event updates
// that session's last event at once. Text from tasks and agents is only ever set as text (see common.js).
"use strict";

(() => {
  const { el } = Baton;
  const $ = (id) => document.getElementById(id);
  const view = { snapshot: null, sessions: [], activity: new Map(), answers: new Map(), sent: new Map() };

  function cell(text, cls, title) { return el("td", { class: cls, text, title }); }

  function sessionLink(name) {
    return name ? el("a", { href: Baton.sessionUrl(name), text: name }) : el("span", { class: "muted", text: "–" });
  }

  function taskCell(identifier, url) {
    const td = el("td", { class: "nowrap" });
    // Only http(s) links from the tracker become links: a javascript: URL stays text.
    if (url && /^https?:\/\//i.test(url)) td.append(el("a", { href: url, text: identifier, attrs: { rel: "noopener noreferrer", target: "_blank" } }));
    else td.textContent = identifier;
    return td;
  }

  function fill(table, rows, columns, empty) {
    const body = $(table).tBodies[0];
    body.replaceChildren(...(rows.length ? rows : [el("tr", null, el("td", { class: "empty", text: empty, attrs: { colspan: columns } }))]));
  }

  function count(id, n) { $(id).textContent = n ? String(n) : ""; }

  function card(label, value, hint) {
    return el("div", { class: "card", title: hint }, el("div", { class: "value", text: value }), el("div", { class: "label", text: label }));
  }

  function renderTotals() {
    const s = view.snapshot;
    if (!s) return;
    const t = s.codex_totals;
    const hourAgo = Date.now() - 3600 * 1000;
    const finished = view.sessions.filter(x => x.ended_at && new Date(x.ended_at).getTime() >= hourAgo).length;
    const perMinute = t.seconds_running > 0 ? Math.round(t.total_tokens / (t.seconds_running / 60)) : 0;
    $("totals").replaceChildren(
      card("running", String(s.counts.running)),
      card("retry queue", String(s.counts.retrying)),
      card("waiting for a person", String(s.counts.blocked || 0)),
      card("tokens", Baton.tokens(t.total_tokens), Baton.tokens(t.input_tokens) + " in, " + Baton.tokens(t.output_tokens) + " out"),
      card("cost", Baton.cost(t.cost_usd || 0)),
      card("agent time", Baton.duration(t.seconds_running)),
      card("runs ended, last hour", String(finished), "sessions whose run ended in the last hour"),
      card("tokens / agent-minute", Baton.tokens(perMinute)));
  }

  function activityOf(name, fallback) {
    const live = name ? view.activity.get(name) : null;
    return live && (!fallback.at || new Date(live.at) >= new Date(fallback.at)) ? live : fallback;
  }

  function renderRunning() {
    const s = view.snapshot;
    const now = Date.now();
    const rows = s.running.map(r => {
      const act = activityOf(r.session, { words: r.activity || r.last_message || r.last_event || "", at: r.last_event_at });
      const tr = el("tr", { attrs: { "data-session": r.session || "", "data-task": r.issue_identifier } },
        taskCell(r.issue_identifier, r.issue_url),
        cell(r.title || "", "title"),
        el("td", null, sessionLink(r.session)),
        cell(r.agent || "", "nowrap"),
        el("td", null, el("span", { class: "status running", text: r.state })),
        el("td", { class: "activity" }, el("span", { class: "words", text: act.words }), " ",
          el("span", { class: "muted small when", text: act.at ? Baton.relative(act.at, now) : "", title: Baton.exact(act.at), attrs: { "data-since": act.at } })),
        cell(Baton.tokens(r.tokens.total_tokens), "num"),
        cell(Baton.cost(r.cost_usd || 0), "num"),
        el("td", { class: "num runtime", text: Baton.duration((now - new Date(r.started_at)) / 1000), attrs: { "data-started": r.started_at } }));
      return tr;
    });
    fill("running", rows, 9, "No agent is running.");
    count("running-count", s.running.length);
  }

  function renderRetrying() {
    const s = view.snapshot;
    const now = Date.now();
    fill("retrying", s.retrying.map(r => el("tr", { attrs: { "data-task": r.issue_identifier } },
      taskCell(r.issue_identifier, r.issue_url),
      cell(r.title || "", "title"),
      cell(String(r.attempt), "num"),
      el("td", { class: "nowrap", title: Baton.exact(r.due_at) }, el("span", { class: "due", text: Baton.relative(r.due_at, now), attrs: { "data-since": r.due_at } }), " ",
        el("span", { class: "muted small", text: Baton.clock(r.due_at) })),
      cell(r.error || "", "activity"))), 5, "Nothing waits for a retry.");
    count("retrying-count", s.retrying.length);
  }

  function renderBlocked() {
    const blocked = view.snapshot.blocked || [];
    const now = Date.now();
    const cards = blocked.map(b => {
      const name = b.session;
      let box = null;
      if (name) {
        // The same form across re-renders, so an answer being typed is not wiped by a live update.
        // After an answer the task leaves the list within a poll; look again a little later too, in case the live
        // connection is reconnecting just then.
        box = view.answers.get(name) || Baton.answerBox(name, () => { view.sent.set(name, Date.now()); scheduleState(); setTimeout(scheduleState, 1000); setTimeout(scheduleState, 3000); });
        view.answers.set(name, box);
      }
      return el("div", { class: "ask", attrs: { "data-session": name || "", "data-task": b.issue_identifier } },
        el("div", null, el("strong", { text: b.issue_identifier }), " ", el("span", { text: b.title || "" })),
        el("div", { class: "muted small" }, name ? sessionLink(name) : "no session", " · waiting ", el("span", { text: Baton.relative(b.blocked_at, now), attrs: { "data-since": b.blocked_at } })),
        el("div", { class: "question", text: b.error || "The agent needs a person's input." }),
        box || el("div", { class: "muted small", text: "No session to answer." }));
    });
    for (const name of [...view.answers.keys()]) {
      if (!blocked.some(b => b.session === name)) view.answers.delete(name);
    }
    // An answered question leaves the list with the next update: say for a while that the answer went out.
    const notes = [];
    for (const [name, at] of [...view.sent.entries()]) {
      if (Date.now() - at > 20000) { view.sent.delete(name); continue; }
      if (!blocked.some(b => b.session === name)) {
        notes.push(el("p", { class: "sent", attrs: { "data-sent": name } }, "Answer sent to ", sessionLink(name), ": a new run starts with it."));
      }
    }
    const empty = cards.length || notes.length ? [] : [el("p", { class: "muted", text: "No agent waits for a person." })];
    $("blocked").replaceChildren(...notes, ...cards, ...empty);
    count("blocked-count", blocked.length);
  }

  function proofLinks(proof) {
    const links = el("span", { class: "links" });
    if (proof.summary) links.append(el("a", { href: proof.summary, text: "summary", attrs: { target: "_blank", rel: "noopener" } }));
    if (proof.transcript) links.append(el("a", { href: proof.transcript, text: "transcript", attrs: { target: "_blank", rel: "noopener" } }));
    if (proof.json) links.append(el("a", { href: proof.json, text: "proof.json", attrs: { target: "_blank", rel: "noopener" } }));
    return links;
  }

  function renderSessions() {
    const now = Date.now();
    const handoffs = view.sessions.filter(x => x.proof)
      .sort((a, b) => new Date(b.proof.updated_at) - new Date(a.proof.updated_at)).slice(0, 10);
    fill("handoffs", handoffs.map(x => el("tr", { attrs: { "data-session": x.name } },
      cell(x.task_identifier || "–", "nowrap"),
      cell(x.title || "", "title"),
      el("td", null, sessionLink(x.name)),
      el("td", null, el("span", { class: "status " + (x.outcome === "succeeded" ? "finished" : x.outcome ? "failed" : x.status), text: x.outcome || x.status })),
      cell(Baton.relative(x.proof.updated_at, now), "nowrap", Baton.exact(x.proof.updated_at)),
      el("td", null, proofLinks(x.proof)))), 6, "No proof has been written yet.");
    count("handoffs-count", handoffs.length);

    fill("sessions", view.sessions.map(x => {
      const act = activityOf(x.name, { words: x.activity || "", at: x.last_event_at });
      return el("tr", { attrs: { "data-session": x.name } },
        el("td", null, sessionLink(x.name)),
        cell(x.task_identifier || "–", "nowrap"),
        cell(x.title || "", "title"),
        cell(x.agent, "nowrap"),
        el("td", null, el("span", { class: "status " + x.status, text: x.status.replace(/_/g, " ") })),
        el("td", { class: "activity" }, el("span", { class: "words", text: act.words })),
        cell(Baton.tokens(x.tokens.total_tokens), "num"),
        cell(Baton.cost(x.cost_usd), "num"),
        cell(Baton.relative(x.created_at, now), "nowrap", Baton.exact(x.created_at)));
    }), 9, "No sessions yet.");
    count("sessions-count", view.sessions.length);
  }

  function renderProblems() {
    const errors = (view.snapshot && view.snapshot.errors) || [];
    // The supervisor's escalations: tasks that keep failing and need a person (retries go on meanwhile).
    const escalated = (view.snapshot && view.snapshot.escalated) || [];
    $("problems").replaceChildren(
      ...errors.map(e => el("p", { class: "banner warn", text: e })),
      ...escalated.map(e => el("p", { class: "banner warn escalated", text: "⚑ " + e.issue_identifier + " failed " + e.attempts + " attempts: " + (e.error || "no error reported") + " — a person should look." })));
  }

  function drawState(snapshot) {
    view.snapshot = snapshot;
    $("generated").textContent = "as of " + Baton.clock(snapshot.generated_at);
    renderProblems();
    renderTotals();
    renderBlocked();
    renderRunning();
    renderRetrying();
  }

  function showError(error) {
    $("error").hidden = !error;
    $("error").textContent = error ? Baton.explain(error) : "";
  }

  async function loadState() {
    const reply = await Baton.api("/api/v1/state");
    if (!reply.ok) { showError(reply.error); return; }
    showError(null);
    drawState(reply.body);
  }

  async function loadSessions() {
    const reply = await Baton.api("/api/v1/sessions");
    if (!reply.ok) { showError(reply.error); return; }
    view.sessions = reply.body.sessions;
    renderSessions();
    renderTotals();
  }

  const scheduleState = Baton.throttle(loadState, 500);
  const scheduleSessions = Baton.throttle(loadSessions, 1000);

  // Live times: runtimes and "x s ago" move every second without asking the server.
  function tick() {
    const now = Date.now();
    for (const node of document.querySelectorAll("[data-started]")) node.textContent = Baton.duration((now - new Date(node.dataset.started)) / 1000);
    for (const node of document.querySelectorAll("[data-since]")) if (node.dataset.since) node.textContent = Baton.relative(node.dataset.since, now);
  }

  function onEvent(type, data) {
    if (type === "state") {
      if (data && data.generated_at && data.running) drawState(data); else scheduleState();
      scheduleSessions();
    } else if (type === "session" && data && data.session) {
      view.activity.set(data.session, { words: data.words, at: data.at });
      for (const row of document.querySelectorAll("tr[data-session]")) {
        if (row.dataset.session !== data.session) continue;
        const words = row.querySelector(".words");
        if (words) words.textContent = data.words;
        const when = row.querySelector(".when");
        if (when) { when.dataset.since = data.at; when.textContent = Baton.relative(data.at); when.title = Baton.exact(data.at); }
      }
      if (data.type === "run_finished" || data.type === "input_requested" || data.type === "usage") scheduleSessions();
    } else if (type === "refresh") {
      scheduleState();
    }
  }

  $("refresh").addEventListener("click", async () => {
    const reply = await Baton.api("/api/v1/refresh", { method: "POST" });
    if (!reply.ok) showError(reply.error);
    scheduleState();
  });

  // After a reconnect, updates may have been missed: read everything again. The first connection comes while the
  // page is still loading its data: re-read a second later instead, so the two do not compete for the first paint
  // and an update published before the subscription is still caught.
  Baton.live($("live"), onEvent, (first) => {
    const reload = () => { loadState(); loadSessions(); };
    if (first) setTimeout(reload, 1000); else reload();
  });
  setInterval(tick, 1000);
  // A slow safety net: a missed update never leaves the page wrong for long.
  setInterval(() => { loadState(); loadSessions(); }, 15000);
  Promise.all([loadState(), loadSessions()]).then(() => { renderTotals(); document.body.dataset.ready = "true"; performance.mark("baton-ready"); });
})();

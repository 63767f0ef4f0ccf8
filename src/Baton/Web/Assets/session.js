// One session: its facts (/api/v1/sessions/<s>), its transcript read from events.jsonl a page at a time
// (/api/v1/sessions/<s>/events?from=N), the messages between it and people, and its proof. Live: a `session` event
// for this session fetches what is new at once; a `state` event re-reads the facts. Text from the agent is only ever
// set as text (see common.js).
"use strict";

(() => {
  const { el } = Baton;
  const $ = (id) => document.getElementById(id);
  const name = decodeURIComponent(location.pathname.replace(/^\/sessions\//, "").replace(/\/$/, ""));
  const base = Baton.apiSessionUrl(name);
  const page = { next: 0, loading: false, again: false, count: 0, messages: 0, mail: 0, gone: false, proofAt: null, answer: null };

  $("name").textContent = name;
  document.title = name + " · Baton";

  function fact(label, value, cls) {
    return el("div", null, el("dt", { text: label }), el("dd", { class: cls, text: value === null || value === undefined || value === "" ? "–" : value }));
  }

  function drawFacts(detail) {
    const s = detail.session;
    $("status").textContent = s.status.replace(/_/g, " ");
    $("status").className = "status " + s.status;
    const runtime = s.started_at ? ((s.ended_at ? new Date(s.ended_at) : new Date()) - new Date(s.started_at)) / 1000 : null;
    $("facts").replaceChildren(
      fact("Task", s.task_identifier),
      fact("Title", s.title, "title"),
      fact("Agent", s.agent + (s.model ? " · " + s.model : "")),
      fact("Status", s.status.replace(/_/g, " ")),
      fact("Run · turns", "run " + s.run + " · " + s.turn_count + " turns"),
      fact("Tokens", Baton.tokens(s.tokens.total_tokens)),
      fact("Cost", Baton.cost(s.cost_usd)),
      fact("Runtime", Baton.duration(runtime)),
      fact("Last event", s.activity),
      fact("Outcome", detail.outcome ? detail.outcome + (detail.reason ? ": " + detail.reason : "") : null),
      fact("Branch", s.branch, "mono"),
      fact("Workspace", s.workspace_path, "mono"),
      fact("Purpose", detail.purpose));
    const waiting = detail.question !== null && detail.question !== undefined || s.status === "waiting_for_input";
    $("ask").hidden = !waiting;
    if (waiting) {
      $("question").textContent = detail.question || "The agent needs a person's input.";
      if (!page.answer) { page.answer = Baton.answerBox(name, () => setTimeout(loadDetail, 300)); $("answer").append(page.answer); }
    }
    drawAnswered(detail.answered);
    drawMail(detail.mail || []);
    drawProof(s.proof);
  }

  // The last question a person answered: the answer starts a new run, so it is not in the events as a message.
  function drawAnswered(answered) {
    page.answered = Boolean(answered);
    $("answered").replaceChildren(...(answered ? [
      el("div", { class: "message input_requested" }, el("div", { class: "who", text: "agent → person (question)" }), el("div", { class: "text", text: answered.question || "(no question text)" })),
      el("div", { class: "message follow_up_received" }, el("div", { class: "who", text: "person → agent (answer, " + (answered.by || "?") + ") · " + Baton.clock(answered.answered_at) }), el("div", { class: "text", text: answered.answer })),
    ] : []));
    $("messages-empty").hidden = page.messages > 0 || page.answered || page.mail > 0;
  }

  // Baton's mail to and from the session (baton mail, hand-off notes): who, subject, how it reached the agent.
  function drawMail(mail) {
    page.mail = mail.length;
    $("mail").replaceChildren(...mail.map(m => {
      const how = m.delivered_at ? "delivered as " + (m.delivery || "?") + " · " + Baton.clock(m.delivered_at) : "waiting for the next run";
      const kind = m.kind === "handoff" ? "hand-off note" : (m.urgent ? "urgent mail" : "mail");
      return el("li", { class: "message mail", attrs: { "data-mail": m.id } },
        el("div", { class: "who", text: kind + " #" + m.id + " · " + m.from + " → " + m.to + " · " + Baton.clock(m.created_at) + " · " + how }),
        el("div", { class: "subject", text: m.subject }),
        el("div", { class: "text", text: m.body }));
    }));
    $("messages-empty").hidden = page.messages > 0 || page.answered || page.mail > 0;
  }

  async function drawProof(proof) {
    if (!proof || proof.updated_at === page.proofAt) return;
    page.proofAt = proof.updated_at;
    const links = el("p", { class: "links" });
    if (proof.summary) links.append(el("a", { href: proof.summary, text: "summary.md", attrs: { target: "_blank", rel: "noopener" } }));
    if (proof.transcript) links.append(el("a", { href: proof.transcript, text: "transcript (HTML)", attrs: { target: "_blank", rel: "noopener" } }));
    if (proof.json) links.append(el("a", { href: proof.json, text: "proof.json", attrs: { target: "_blank", rel: "noopener" } }));
    const parts = [links, el("p", { class: "muted small", text: "written " + Baton.relative(proof.updated_at), title: Baton.exact(proof.updated_at) })];
    if (proof.summary) {
      try {
        const response = await fetch(proof.summary, { credentials: "same-origin", cache: "no-store" });
        if (response.ok) parts.push(el("pre", { class: "summary", text: await response.text() }));
      } catch (e) { /* the links still work */ }
    }
    $("proof").replaceChildren(...parts);
  }

  function showGone() {
    if (page.gone) return;
    page.gone = true;
    document.body.classList.add("gone");
    const gone = $("gone");
    gone.replaceChildren(
      el("strong", { text: "This session no longer exists." }),
      " ", el("span", { text: "Session " + name + " was removed (or archived) while this page was open; what is shown below is what the page had. " }),
      el("a", { href: "/", text: "Back to the dashboard" }));
    gone.hidden = false;
    $("ask").hidden = true;
    $("status").textContent = "removed";
    $("status").className = "status exited";
  }

  async function loadDetail() {
    if (page.gone) return;
    const reply = await Baton.api(base);
    if (reply.status === 404 && reply.error && reply.error.code === "session_not_found") {
      if (page.count === 0 && !page.seen) { showMissing(); return; }
      showGone();
      return;
    }
    if (!reply.ok) { $("error").hidden = false; $("error").textContent = Baton.explain(reply.error); return; }
    $("error").hidden = true;
    page.seen = true;
    drawFacts(reply.body);
  }

  function showMissing() {
    page.gone = true;
    const gone = $("gone");
    gone.replaceChildren(el("strong", { text: "No session " + name + "." }), " ", el("a", { href: "/", text: "Back to the dashboard" }));
    gone.hidden = false;
  }

  function entry(e) {
    const body = el("div", { class: "body" });
    switch (e.type) {
      case "agent_message":
        body.append(el("div", { class: "text", text: e.text || "" }));
        break;
      case "tool_started":
        body.append(el("div", { class: "tool", text: "⚙ " + (e.tool_name || "tool") }));
        if (e.tool_input) body.append(el("pre", { text: e.tool_input }));
        break;
      case "tool_finished": {
        body.append(el("div", { class: "tool" + (e.is_error ? " failed" : ""), text: (e.is_error ? "✗ " : "✓ ") + (e.tool_name || "tool") + (e.is_error ? " failed" : " done") }));
        if (e.tool_output) body.append(el("details", null, el("summary", { text: "output" }), el("pre", { text: e.tool_output })));
        break;
      }
      case "steer_received":
      case "follow_up_received":
        body.append(el("div", { class: "muted small", text: e.type === "steer_received" ? "steered by a person" : "message to the agent" }), el("div", { class: "text", text: e.text || "" }));
        break;
      case "input_requested":
        body.append(el("div", { class: "muted small", text: "the agent asks" }), el("div", { class: "text", text: e.text || "" }));
        break;
      case "error":
        body.append(el("div", { class: "text", text: e.text || e.reason || "error" }));
        break;
      case "run_started":
        body.append(el("div", { text: "Run " + e.run + " started" }));
        break;
      case "run_finished":
        body.append(el("div", { text: "Run " + e.run + " " + (e.outcome || "ended") + (e.reason ? ": " + e.reason : "") }));
        break;
      case "turn_finished":
        body.append(el("div", { class: "muted" + (e.outcome && e.outcome !== "succeeded" ? " failed" : ""), text: "turn " + (e.outcome || "finished") + (e.reason ? " (" + e.reason + ")" : "") }));
        break;
      default:
        body.append(el("div", { class: "muted", text: e.words }));
    }
    return el("li", { class: "entry " + e.type, attrs: { "data-type": e.type } }, el("time", { text: Baton.clock(e.at), title: Baton.exact(e.at) }), body);
  }

  function message(e) {
    const who = { steer_received: "person → agent (steer)", follow_up_received: "→ agent", input_requested: "agent → person (question)" }[e.type];
    return el("li", { class: "message " + e.type }, el("div", { class: "who", text: who + " · " + Baton.clock(e.at) }), el("div", { class: "text", text: e.text || "" }));
  }

  function append(events) {
    const box = $("transcript-box");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    const list = $("transcript");
    for (const e of events) {
      if (e.type === "usage") continue; // counted in the facts above
      list.append(entry(e));
      page.count++;
      if (e.type === "steer_received" || e.type === "follow_up_received" || e.type === "input_requested") {
        $("messages").append(message(e));
        page.messages++;
      }
    }
    $("transcript-empty").hidden = page.count > 0;
    $("messages-empty").hidden = page.messages > 0 || page.answered || page.mail > 0;
    $("transcript-count").textContent = page.count ? String(page.count) : "";
    $("messages-count").textContent = page.messages ? String(page.messages) : "";
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  // One reader at a time; a signal while reading asks for one more round, so nothing is skipped or shown twice.
  async function loadTranscript() {
    if (page.gone) return;
    if (page.loading) { page.again = true; return; }
    page.loading = true;
    try {
      for (let round = 0; round < 50; round++) {
        const reply = await Baton.api(base + "/events?from=" + page.next + "&max=500");
        if (!reply.ok) {
          if (reply.status === 404) await loadDetail();
          break;
        }
        const body = reply.body;
        if (body.reset) {
          $("transcript").replaceChildren(); $("messages").replaceChildren();
          page.count = 0; page.messages = 0;
        }
        append(body.events);
        page.next = body.next;
        if (!body.more) break;
      }
    } finally {
      page.loading = false;
      if (page.again) { page.again = false; loadTranscript(); }
    }
  }

  const scheduleDetail = Baton.throttle(loadDetail, 500);

  function onEvent(type, data) {
    if (type === "session" && data && data.session === name) {
      loadTranscript();
      if (data.type !== "agent_message" && data.type !== "tool_started") scheduleDetail();
    } else if (type === "state") {
      scheduleDetail();
    }
  }

  Baton.live($("live"), onEvent, (first) => {
    const reload = () => { loadDetail(); loadTranscript(); };
    if (first) setTimeout(reload, 1000); else reload();
  });
  // Sessions started outside the orchestrator send no live events: read what is new every few seconds too.
  setInterval(() => { loadTranscript(); loadDetail(); }, 3000);
  loadDetail().then(loadTranscript).then(() => { document.body.dataset.ready = "true"; });
})();

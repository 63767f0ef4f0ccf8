// Baton's messages as pi tools: send_message and read_messages, backed by the baton CLI
// (`baton mail send … --json`, `baton mail inbox --json`). Baton loads this file into every pi it starts
// (`pi -e`), with BATON_SESSION (the sender), BATON_PROJECT and BATON_HOME in the agent's environment and
// BATON_EXECUTABLE naming the baton program. The CLI does the work and the checks (addresses, limits, delivery),
// so an agent's message follows exactly the rules a person's does.
import type { ExtensionAPI } from "@mariozechner/pi-coding-agent";
import { Type } from "typebox";
import { spawn } from "node:child_process";

interface BatonError {
  code: string;
  message: string;
  suggestion?: string;
}

interface Envelope {
  ok: boolean;
  data?: any;
  error?: BatonError | null;
}

/** Runs baton with `args`, `input` on its standard input, and returns the JSON envelope it printed. */
function baton(args: string[], input: string, signal?: AbortSignal): Promise<Envelope> {
  return new Promise((resolve) => {
    const program = process.env.BATON_EXECUTABLE || "baton";
    let stdout = "";
    let stderr = "";
    const child = spawn(program, args, { stdio: ["pipe", "pipe", "pipe"], signal });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdin.on("error", () => {});
    child.on("error", (error: Error) =>
      resolve({ ok: false, error: { code: "baton_not_started", message: `${program}: ${error.message}` } }),
    );
    child.on("close", (code: number | null) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        resolve(JSON.parse(line) as Envelope);
      } catch {
        resolve({ ok: false, error: { code: "baton_failed", message: (stderr || stdout || `exit code ${code}`).trim() } });
      }
    });
    child.stdin.end(input);
  });
}

function fail(envelope: Envelope): never {
  const error = envelope.error ?? { code: "baton_failed", message: "baton gave no answer" };
  throw new Error(`${error.code}: ${error.message}${error.suggestion ? ` (${error.suggestion})` : ""}`);
}

function text(value: string) {
  return { content: [{ type: "text" as const, text: value }] };
}

export default function (pi: ExtensionAPI) {
  pi.registerTool({
    name: "send_message",
    label: "Send message",
    description:
      "Send a message through Baton. `to` is another session (e.g. app-3), `human` (the people running Baton), " +
      "`orchestrator`, or `project:<id>` (every live session of that project). A live session's agent gets it at once; " +
      "a session whose run has ended gets it in its task's next run. The body holds at most 64 KiB: send paths, not files.",
    promptSnippet: "Send a message to another session, to a person (human) or to the orchestrator",
    promptGuidelines: [
      "Use send_message to ask the human a question the repository cannot answer, or to tell another session about a change that affects its work.",
    ],
    parameters: Type.Object({
      to: Type.String({ description: "app-3, human, orchestrator or project:<id>" }),
      subject: Type.String({ description: "One line, at most 200 characters" }),
      body: Type.String({ description: "The message" }),
      urgent: Type.Optional(
        Type.Boolean({ description: "Deliver before the recipient's next model call instead of after its current work" }),
      ),
    }),
    async execute(_toolCallId, params, signal) {
      const args = ["mail", "send", params.to, "--subject", params.subject, "--message", "-", "--json"];
      if (params.urgent) args.push("--urgent");
      const envelope = await baton(args, params.body, signal);
      if (!envelope.ok) fail(envelope);
      const sent = (envelope.data?.messages ?? []) as Array<{ id: number; to: string; note: string }>;
      return {
        ...text(sent.map((m) => `Sent #${m.id} to ${m.to}: ${m.note}.`).join("\n") || "Sent."),
        details: envelope.data,
      };
    },
  });

  pi.registerTool({
    name: "read_messages",
    label: "Read messages",
    description:
      "List the messages in this session's Baton inbox, newest first: messages from other sessions and people, and " +
      "hand-off notes from earlier runs of this task. Messages also arrive in the conversation by themselves.",
    promptSnippet: "Read this session's messages (from other sessions, people, and earlier runs of the task)",
    parameters: Type.Object({
      unread_only: Type.Optional(Type.Boolean({ description: "Only messages not seen yet" })),
      limit: Type.Optional(Type.Number({ description: "At most this many (default 20)" })),
    }),
    async execute(_toolCallId, params, signal) {
      const args = ["mail", "inbox", "--json", "--limit", String(Math.max(1, Math.floor(params.limit ?? 20)))];
      if (params.unread_only) args.push("--unread");
      const envelope = await baton(args, "", signal);
      if (!envelope.ok) fail(envelope);
      const messages = (envelope.data?.messages ?? []) as Array<{
        id: number;
        kind: string;
        from: string;
        subject: string;
        body: string;
        createdAt: string;
      }>;
      if (messages.length === 0) return { ...text(`No messages for ${envelope.data?.address}.`), details: envelope.data };
      const shown = messages.map(
        (m) =>
          `#${m.id} ${m.kind === "handoff" ? "hand-off note" : "message"} from ${m.from} (${m.createdAt}): ${m.subject}\n${m.body}`,
      );
      return { ...text(shown.join("\n\n---\n\n")), details: envelope.data };
    },
  });
}

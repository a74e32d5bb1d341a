// What the chat page shows and does, decided without the DOM or a socket: a port of
// desktop_client/presenter.py, so both clients follow the same rules. Server events
// become Lines (text parts with style tags); what the page must *do* comes out as
// effects ({do: "send", frame}, {do: "retry", seconds} …), which app.js carries out.

import { t, nt } from "./i18n.js";
import {
  Refusal, clock, cleanText, nickColour, nickKey, parseLine, safe, sortName, MAX_NICK_CHARS,
} from "./text.js";

export const APP_NAME = "ClassChat";
export const ADMIN_MARK = "★ ";
export const RATE_LIMIT_RETRY = 1.0;
export const MAX_LINES = 20;
export const DIGEST_WINDOW_MS = 60_000;
export const DIGEST_NAMES = 5;
export const DEFAULT_HEARTBEAT = 20;
export const PONG_WAIT_MIN = 5;
export const LOGIN_WAIT = 10;
const PASSWORD_CODES = ["bad_password", "locked_out"];

// ---- the life cycle: one phase at a time, moves checked (desktop_client/lifecycle.py) ----

export const Phase = Object.freeze({
  OFFLINE: "offline", CONNECTING: "connecting", ONLINE: "online",
  RECONNECTING: "reconnecting", SHUT_DOWN: "shutdown", KICKED: "kicked",
  REFUSED: "refused", LOGGED_OUT: "logged_out",
});
const P = Phase;
const ALLOWED = {
  [P.OFFLINE]: [P.CONNECTING, P.LOGGED_OUT],
  [P.CONNECTING]: [P.ONLINE, P.OFFLINE, P.LOGGED_OUT],
  [P.ONLINE]: [P.RECONNECTING, P.SHUT_DOWN, P.KICKED, P.LOGGED_OUT],
  [P.RECONNECTING]: [P.RECONNECTING, P.ONLINE, P.SHUT_DOWN, P.REFUSED, P.KICKED, P.LOGGED_OUT],
  [P.SHUT_DOWN]: [P.SHUT_DOWN, P.RECONNECTING, P.ONLINE, P.REFUSED, P.KICKED, P.LOGGED_OUT],
  [P.REFUSED]: [P.RECONNECTING, P.LOGGED_OUT],
  [P.KICKED]: [P.LOGGED_OUT],
  [P.LOGGED_OUT]: [],
};
export const RETRYING = [P.RECONNECTING, P.SHUT_DOWN];
export const QUEUEING = [P.ONLINE, P.RECONNECTING, P.SHUT_DOWN];

export class LocalStateError extends Error {}

export class LifeCycle {
  constructor() { this.phase = P.OFFLINE; }
  move(to) {
    if (!ALLOWED[this.phase].includes(to)) {
      throw new LocalStateError(`cannot go from ${this.phase} to ${to}`);
    }
    this.phase = to;
  }
}

// Pings every `interval` s; the link is dead when nothing at all came back within
// `wait` s of the oldest unanswered ping (or of the login).
export class Heartbeat {
  constructor(now, interval = DEFAULT_HEARTBEAT, online = false) {
    this.interval = interval > 0 ? interval : DEFAULT_HEARTBEAT;
    this.wait = Math.max(PONG_WAIT_MIN, this.interval / 2);
    this.lastPing = now;
    this.unansweredSince = online ? null : now;
    this.expectBy = online ? null : now + LOGIN_WAIT;
  }
  heard() { this.unansweredSince = null; this.expectBy = null; }
  tick(now) {
    if (this.expectBy !== null && now >= this.expectBy) return "dead";
    if (now - this.lastPing >= this.interval) {
      this.lastPing = now;
      if (this.unansweredSince === null) {
        this.unansweredSince = now;
        this.expectBy = now + this.wait;
      }
      return "ping";
    }
    return "";
  }
}

// 1, 2, 4, 8, 15, 15 … seconds (±20 %) between attempts; reset once back.
export class Backoff {
  constructor(first = 1, cap = 15, rand = Math.random) {
    Object.assign(this, { first, cap, rand, attempt: 0 });
  }
  nextDelay() {
    const base = Math.min(this.cap, this.first * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return base * (1 + 0.2 * (2 * this.rand() - 1));
  }
  reset() { this.attempt = 0; }
}

// Messages kept with their cid until the server's echo confirms them.
export class Outbox {
  constructor(makeCid = newCid) { this.entries = new Map(); this.makeCid = makeCid; }
  add(say) {
    const kept = { ...say, cid: say.cid || this.makeCid() };
    this.entries.set(kept.cid, { say: kept, onLink: false });
    return kept;
  }
  markSent(cid) { const e = this.entries.get(cid); if (e) e.onLink = true; }
  confirm(cid) { return cid != null && this.entries.delete(cid); }
  refuse(cid) {
    const e = cid != null ? this.entries.get(cid) : undefined;
    if (!e) return null;
    this.entries.delete(cid);
    return e.say;
  }
  later(cid) { const e = this.entries.get(cid); if (e) e.onLink = false; return e ? e.say : null; }
  linkLost() { for (const e of this.entries.values()) e.onLink = false; }
  pending() { return [...this.entries.values()].map((e) => e.say); }
  waiting() { return [...this.entries.values()].filter((e) => !e.onLink).length; }
  has(cid) { return this.entries.has(cid); }
  get size() { return this.entries.size; }
}

export function newCid() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function sayFrame(say) {
  const frame = { type: "msg", text: say.text, cid: say.cid };
  if (say.to) frame.to = say.to;
  return frame;
}

// ---- lines -------------------------------------------------------------------------

// One entry of the message pane. Lines with the same key replace each other in place.
export function line(kind, parts, extra = {}) {
  return { kind, parts, own: false, earlier: false, key: null, state: "", ...extra };
}
export const lineText = (l) => l.parts.map(([text]) => text).join("");
export const notice = (text, extra = {}) => line("notice", [[safe(text), ["notice"]]], extra);
export const errorLine = (text) => line("error", [[safe(text), ["error"]]]);
export const separator = (text) => line("separator", [[safe(text), ["separator"]]]);

export const everyoneLabel = () => t("Everyone");

function isInt(value) { return Number.isInteger(value); }
function str(value) { return typeof value === "string" ? value : null; }

export function minutesLeft(until, now) {
  return isInt(until) ? Math.max(1, Math.ceil((until - now) / 60000)) : null;
}

export function helpRows(admin) {
  const rows = [
    ["-all TEXT", t("a message to everyone")],
    ["-to NICK TEXT", t("a private message to NICK")],
    ["-users", t("who is online")],
    ["-whoami", t("who you are")],
    ["-help", t("this list")],
    ["-exit", t("log out and close the window")],
  ];
  if (admin) {
    rows.push(
      ["-kick NICK [15m] [REASON]", t("remove NICK for 10 minutes (or as given)")],
      ["-bans, -unban NICK", t("list the bans, lift one")],
      ["-mute NICK|all", t("mute one student, or the class")],
      ["-unmute NICK|all", t("let them write again")],
      ["-slow SECONDS", t("one message per SECONDS for each student (0: off)")],
      ["down server [REASON]", t("shut the server down")],
    );
  }
  return rows;
}

export function leftText(nick, reason, by) {
  if (reason === "kicked" && by) return t("{nick} was removed by {by}", { nick, by });
  const texts = {
    quit: "{nick} left", disconnected: "{nick} disconnected",
    kicked: "{nick} was removed by an admin", dropped: "{nick} was dropped (too slow to keep up)",
  };
  return t(texts[reason] || "{nick} left ({reason})", { nick, reason });
}

// What the connect form (or the strip) says when the server refuses the login.
export function loginErrorText(event, now, nick) {
  const left = minutesLeft(event.until, now);
  if (event.code === "locked_out") {
    return t("Too many wrong admin passwords from this computer.") +
      (left ? " " + t("(about {n} min left)", { n: left }) : "");
  }
  if (event.code === "banned") {
    return t("You were removed by an admin.") +
      (isInt(event.until) ? " " + t("You can join again at {time}.", { time: clock(event.until) }) : "");
  }
  if (event.code === "nick_invalid" && nick) {
    return localNickProblem(nick) || str(event.message) || t("The server does not accept this nickname.");
  }
  if (["bad_frame", "bad_json", "line_too_long"].includes(event.code)) {
    return t("The server answered something this app cannot read. Is it a ClassChat server?");
  }
  const known = {
    nick_taken: t("That nickname is already taken. Please choose another one."),
    bad_password: t("Wrong admin password. Leave it empty to join as a student."),
    server_full: t("The server is full. Try again later."),
  };
  return known[event.code] || str(event.message) || String(event.code);
}

// The nickname checked before connecting, said the way a person would. The server has
// the last word (scripts, look-alikes): its refusal is shown as it comes.
export function localNickProblem(raw) {
  const nick = raw.trim().normalize("NFC");
  if (!nick) return t("Type a nickname.");
  if ([...nick].length > MAX_NICK_CHARS) return t("Nicknames can have at most {n} characters.", { n: MAX_NICK_CHARS });
  if (/\s/u.test(nick)) return t("Nicknames can't contain spaces.");
  const chars = [...nick];
  const bad = chars.find((c, i) => !(/[\p{L}\p{N}_.-]/u.test(c) || (i > 0 && /\p{M}/u.test(c))));
  if (bad !== undefined) {
    const shown = /[\p{C}\p{Z}\p{M}]/u.test(bad) ? t("an invisible character") : `“${bad}”`;
    return t("Nicknames can only use letters, digits, _ - and . (not {char}).", { char: shown });
  }
  if (["server", "everyone", "all"].includes(nickKey(nick))) {
    return t("“{nick}” is reserved: choose another nickname.", { nick });
  }
  return null;
}

// ---- the presenter ----------------------------------------------------------------

export class Presenter {
  constructor({ clock: monotonic = () => performance.now() / 1000, backoff, now } = {}) {
    this.me = null;
    this.admin = false;
    this.userOf = new Map();      // nickKey -> nick as spelt
    this.admins = new Set();      // nickKey of every admin online
    this.usersVersion = 0;
    this.recipient = null;
    this.life = new LifeCycle();
    this.banner = null;
    this.serverName = "";
    this.focused = true;
    this.unread = 0;
    this.unreadPrivate = 0;
    this.nowMs = now || (() => Date.now());
    this.clock = monotonic;
    this.loginNick = null;
    this.adminKey = null;          // SHA-256 of the password (never the password itself)
    this.passwordRefused = false;
    this.session = null;
    this.lastSeq = 0;
    this.heartbeat = null;
    this.backoff = backoff || new Backoff();
    this.awaitingWelcome = false;
    this.outbox = new Outbox();
    this.shownIds = new Set();
    this.lineOfCid = new Map();
    this.serial = 0;
    this.pendingEffects = [];
    this.actions = new Map();
    this.undoNext = [];
    this.said = 0;
    this.digests = {};
    this.muted = new Set();
    this.mutedAll = false;
    this.slow = 0;
    this.bans = [];
    this.handlers = {
      msg: (e) => this.onMessage(e), welcome: (e) => this.onWelcome(e),
      joined: (e) => this.onJoined(e), left: (e) => this.onLeft(e),
      users: (e) => this.onUsers(e), whoami: (e) => this.onWhoami(e),
      pong: () => [], error: (e) => this.onError(e), bye: (e) => this.onBye(e),
      shutdown: (e) => this.onShutdown(e), notice: (e) => this.onNotice(e),
      room: (e) => this.onRoom(e), bans: (e) => this.onBans(e),
    };
  }

  next() { this.serial += 1; return this.serial; }

  // ---- state the view reads ----

  get state() { return this.life.phase; }
  get online() { return this.state === P.ONLINE; }
  get users() {
    return [...this.userOf.entries()]
      .map(([key, nick]) => [this.admins.has(key) ? 0 : 1, sortName(nick), key, nick])
      .sort((a, b) => a[0] - b[0] || cmp(a[1], b[1]) || cmp(a[2], b[2]))
      .map((entry) => entry[3]);
  }
  get userCount() { return this.userOf.size; }
  get canType() { return QUEUEING.includes(this.state) && (!this.amMuted || this.isAdmin(this.recipient)); }
  get amMuted() {
    if (this.admin || this.me === null) return false;
    return this.mutedAll || this.muted.has(nickKey(this.me));
  }
  isMe(nick) { return nick != null && this.me !== null && nickKey(nick) === nickKey(this.me); }
  isAdmin(nick) { return nick != null && this.admins.has(nickKey(nick)); }
  isMuted(nick) { return nick != null && this.muted.has(nickKey(nick)); }

  effects() { const taken = this.pendingEffects; this.pendingEffects = []; return taken; }
  effect(kind, fields = {}) { this.pendingEffects.push({ do: kind, ...fields }); }

  recipientLabel(limit = 18) {
    if (!this.recipient) return t("To: {who}", { who: everyoneLabel() });
    const nick = safe(this.recipient, false);
    return t("To: {who}", { who: [...nick].length <= limit ? nick : [...nick].slice(0, limit - 1).join("") + "…" });
  }

  title() {
    let title = APP_NAME;
    if (this.me) title += ` — ${this.me}`;
    if (this.state !== P.ONLINE && this.me) title += " " + t("(offline)");
    if (this.unread) title = `(${this.unread}) ` + title;
    return safe(title, false);
  }

  headerInfo() {
    if (!this.online) return t("offline");
    const info = nt("{n} online", "{n} online", this.userCount);
    return info + (this.admin ? " · " + t("admin") : "");
  }

  roomLine() {
    const parts = [];
    if (this.mutedAll) {
      parts.push(this.admin ? t("The class is muted: only admins can write") : t("Only the teacher can write now"));
    }
    if (this.slow) {
      parts.push(t(this.admin ? "Slow mode: one message every {seconds} s for students"
        : "Slow mode: one message every {seconds} s", { seconds: String(this.slow) }));
    }
    if (this.admin && this.muted.size) {
      const names = [...this.muted].filter((k) => this.userOf.has(k)).sort().map((k) => this.userOf.get(k));
      if (names.length) parts.push(t("Muted: {names}", { names: names.join(", ") }));
    }
    return parts.join(" · ");
  }

  inputHint() {
    if (!this.amMuted || this.isAdmin(this.recipient)) return "";
    // The server still takes a muted student's private message to an admin.
    const why = this.mutedAll ? t("Only the teacher can write now.") : t("You are muted: you can read, but not write.");
    return why + " " + t("Click the teacher's name to ask privately.");
  }

  waitingNote() {
    const count = this.outbox.waiting();
    return count ? nt("{n} message waiting to send", "{n} messages waiting to send", count) : "";
  }

  // ---- the user list ----

  userRow(nick) {
    const me = this.isMe(nick), admin = this.isAdmin(nick), muted = this.isMuted(nick);
    const words = [[t("you"), me], [t("admin"), admin], [t("muted"), muted]].filter(([, on]) => on).map(([w]) => w);
    const tags = [`nick${nickColour(nick)}`];
    if (me) tags.push("me");
    if (admin) tags.push("admin");
    if (muted) tags.push("muted");
    return { nick, name: safe(nick, false), note: words.length ? `(${words.join(", ")})` : "", tags };
  }

  userRows(find = "") {
    const wanted = find.trim() ? sortName(find.trim()) : "";
    const rows = [{ nick: null, name: everyoneLabel(), note: "", tags: ["everyone"] }];
    for (const nick of this.users) {
      if (wanted && !sortName(nick).includes(wanted)) continue;
      rows.push(this.userRow(nick));
    }
    return rows;
  }

  // ---- things the student does ----

  selectRecipient(nick) {
    this.recipient = nick == null ? null : this.userOf.get(nickKey(nick)) || null;
  }

  setFocused(focused) {
    this.focused = focused;
    if (focused) { this.unread = 0; this.unreadPrivate = 0; }
  }

  // What was typed -> {frame, lines, clear, quit}.
  readInput(raw) {
    const result = { frame: null, lines: [], clear: true, quit: false };
    const text = raw.trim();
    if (!text) return { ...result, clear: false };
    if ((text.match(/\n/g) || []).length >= MAX_LINES) {
      return { ...result, clear: false, lines: [errorLine(nt("A message can have at most {n} line.", "A message can have at most {n} lines.", MAX_LINES))] };
    }
    const [first, ...more] = text.split("\n");
    let command;
    try {
      command = parseLine(more.length ? first : text, this.admin);
    } catch (problem) {
      if (!(problem instanceof Refusal)) throw problem;
      return { ...result, clear: false, lines: [errorLine(usageText(problem))] };
    }
    if (more.length) {
      // Several lines: a message; the first line's flag (-to, -all) still counts.
      command = command.type === "say" ? { ...command, text: command.text + "\n" + more.join("\n") }
        : { type: "say", text, to: null, plain: true };
    }
    if (command.type === "say") {
      this.said += 1;
      return this.say(command, !command.plain);
    }
    if (command.type === "help") return { ...result, lines: this.helpLines() };
    if (command.type === "login") {
      return { ...result, clear: false, lines: [errorLine(t("You are already logged in as {nick}. Use -exit to leave first.", { nick: this.me }))] };
    }
    if (command.type === "logout") return { ...result, frame: { type: "logout" }, quit: true };
    if (!this.online) {
      return { ...result, clear: false, lines: [errorLine(t("Not connected right now: try that again when the connection is back."))] };
    }
    const frame = commandFrame(command);
    this.rememberUndo(frame);
    return { ...result, frame };
  }

  helpLines() {
    const lines = [line("help", [[t("Type a message and press Enter to send it; Shift+Enter starts a new line. Flags:"), ["notice"]]])];
    for (const [flag, what] of helpRows(this.admin)) {
      lines.push(line("help", [[flag, ["notice", "flag"]], ["  " + what, ["notice"]]]));
    }
    lines.push(notice(t("Click a name on the right to talk to that person only; click Everyone to go back.")));
    return lines;
  }

  say(command, explicit) {
    const result = { frame: null, lines: [], clear: true, quit: false };
    let text;
    try {
      text = cleanText(command.text);
    } catch (problem) {
      return { ...result, clear: false, lines: [errorLine(problem.message)] };
    }
    if (!QUEUEING.includes(this.state)) return { ...result, clear: false, lines: [errorLine(t("Not connected."))] };
    const to = explicit ? command.to : this.recipient;
    const say = this.outbox.add({ text, to });
    this.lineOfCid.set(say.cid, `out${this.next()}`);
    const shown = this.ownLine(say, "pending");
    if (!this.online) return { ...result, lines: [shown] };   // waits in the outbox
    this.outbox.markSent(say.cid);
    return { ...result, frame: sayFrame(say), lines: [shown] };
  }

  ownLine(say, state) {
    const event = { id: 0, ts: this.nowMs(), from: this.me || "", to: say.to, text: say.text, cid: say.cid, admin: this.admin };
    return this.messageLine(event, { state, key: this.lineOfCid.get(say.cid) });
  }

  resend(cid) {
    if (!this.online || !this.outbox.has(cid)) return [];
    const say = this.outbox.pending().find((s) => s.cid === cid);
    this.outbox.markSent(cid);
    return [{ do: "send", frame: sayFrame(say) }];
  }

  runAction(name) {
    const action = this.actions.get(name);
    this.actions.delete(name);
    return action ? action() : [];
  }

  action(run) {
    const name = `a${this.next()}`;
    this.actions.set(name, run);
    return name;
  }

  retry(say, key) {
    const fresh = this.outbox.add({ text: say.text, to: say.to });
    this.lineOfCid.set(fresh.cid, key);
    if (this.online) {
      this.outbox.markSent(fresh.cid);
      this.effect("send", { frame: sayFrame(fresh) });
    }
    return [this.ownLine(fresh, "pending")];
  }

  // The teacher's controls, as frames; the next notice gets an Undo where one makes sense.
  kickFrame(nick, reason = "", minutes = null) {
    const frame = { type: "kick", nick };
    if (reason.trim()) frame.reason = reason.trim();
    if (minutes !== null && minutes !== "" && Number.isFinite(Number(minutes))) frame.minutes = Number(minutes);
    this.rememberUndo(frame);
    return frame;
  }
  downFrame(reason = "") {
    return reason.trim() ? { type: "down", reason: reason.trim() } : { type: "down" };
  }
  muteFrame(nick, on) {
    const frame = { type: on ? "mute" : "unmute" };
    if (nick) frame.nick = nick;
    this.rememberUndo(frame);
    return frame;
  }
  classMuteFrame() { return this.muteFrame(null, !this.mutedAll); }
  slowFrame(seconds) {
    const frame = { type: "slow", seconds: Math.max(0, Number(seconds) || 0) };
    this.rememberUndo(frame);
    return frame;
  }
  unbanFrame(ban) { return { type: "unban", nick: ban.nick || ban.ip }; }

  rememberUndo(frame) {
    let undo = null;
    if (frame.type === "mute" || frame.type === "unmute") {
      undo = { type: frame.type === "mute" ? "unmute" : "mute" };
      if (frame.nick) undo.nick = frame.nick;
    } else if (frame.type === "slow") {
      undo = { type: "slow", seconds: this.slow };
    } else if (frame.type === "kick" && frame.minutes !== 0) {
      undo = { type: "unban", nick: frame.nick };
    }
    if (undo) this.undoNext.push([frame, undo]);
  }

  takeUndo(matches = () => true) {
    const index = this.undoNext.findIndex(([frame]) => matches(frame));
    if (index < 0) return null;
    return this.undoNext.splice(index, 1)[0][1];
  }

  withUndo(l, undo) {
    const name = this.action(() => { this.effect("send", { frame: undo }); return []; });
    return { ...l, parts: [...l.parts, ["  " + t("Undo"), ["action", `act-${name}`]]] };
  }

  // ---- logging in and coming back ----

  // The first login (from the form). `adminKey`: the password's key, or null.
  connecting(nick, adminKey = null) {
    this.loginNick = nick;
    this.adminKey = adminKey;
    this.passwordRefused = false;
    this.life.move(P.CONNECTING);
    return this.attempt();
  }

  // What the next login carries; the link adds the admin proof when `admin` is set.
  attempt() {
    if (this.state === P.REFUSED) this.life.move(P.RECONNECTING);
    this.awaitingWelcome = true;
    this.heartbeat = new Heartbeat(this.clock());
    const frame = { type: "login", nick: this.me || this.loginNick || "", resumable: true };
    if (this.session) { frame.session = this.session; frame.seq = this.lastSeq; }
    return { frame, adminKey: this.passwordRefused ? null : this.adminKey };
  }

  retryWith(adminKey) {
    this.adminKey = adminKey;
    this.passwordRefused = false;
    return this.attempt();
  }

  heard() { if (this.heartbeat) this.heartbeat.heard(); }

  tick() {
    if (!this.heartbeat || [P.KICKED, P.LOGGED_OUT, P.REFUSED, P.OFFLINE].includes(this.state)) return [];
    const verdict = this.heartbeat.tick(this.clock());
    if (verdict === "ping") this.effect("send", { frame: { type: "ping" } });
    else if (verdict === "dead") {
      this.effect("close");
      return this.linkEnded(t("no answer from the server"));
    }
    return [];
  }

  // The socket ended (or we gave up on it): what comes next.
  linkEnded(detail = "") {
    this.heartbeat = null;
    this.awaitingWelcome = false;
    this.outbox.linkLost();
    if (this.state === P.CONNECTING) {
      this.life.move(P.OFFLINE);
      this.effect("dialogError", { text: detail || t("The server closed the connection before the login finished.") });
      return [];
    }
    if (this.state === P.ONLINE) {
      this.life.move(P.RECONNECTING);
      this.goneOffline();
      this.banner = { kind: "lost", text: t("Connection lost — reconnecting…"), autoRetry: true, canReconnect: true,
        countdown: t("Connection lost — reconnecting in {seconds} s…") };
    }
    if (RETRYING.includes(this.state)) this.effect("retry", { seconds: this.backoff.nextDelay() });
    return [];
  }

  // The proof the server gave for the admin password was wrong (or missing).
  impostor() {
    const text = t("This server could not prove that it knows the admin password, so it may not be your server. Nothing was sent; check the address.");
    return this.loginRefused({ code: "impostor" }, text);
  }

  // A server frame (already parsed JSON) -> lines for the pane.
  apply(event) {
    if (!event || typeof event !== "object" || typeof event.type !== "string") return [];
    if (this.awaitingWelcome && event.type === "error") return this.loginRefused(event);
    const handler = Object.hasOwn(this.handlers, event.type) ? this.handlers[event.type] : null;
    if (!handler) return [];
    const lines = handler(event);
    if (lines.length && event.type !== "joined" && event.type !== "left") this.said += 1;
    return lines;
  }

  loginRefused(event, text = null) {
    this.awaitingWelcome = false;
    this.heartbeat = null;
    this.effect("close");
    text = text || loginErrorText(event, this.nowMs(), this.loginNick);
    if (this.state === P.CONNECTING) {
      this.life.move(P.OFFLINE);
      this.effect("dialogError", { text });
      return [];
    }
    if (event.code === "server_full") {
      this.effect("retry", { seconds: this.backoff.nextDelay() });
      return [];
    }
    this.life.move(P.REFUSED);
    if (PASSWORD_CODES.includes(event.code)) {
      this.passwordRefused = true;
      this.banner = { kind: "refused", text: t("The admin password was refused.") + " " + text, autoRetry: false, canReconnect: false };
      this.effect("askPassword", { text });
    } else {
      this.banner = { kind: "refused", text: t("Could not log in again: {why}", { why: text }), autoRetry: false, canReconnect: true };
      if (event.code === "banned") {
        // Try again when the ban ends, and once a minute before that: the teacher may lift it.
        const left = ((typeof event.until === "number" ? event.until : 0) - this.nowMs()) / 1000;
        this.effect("retry", { seconds: Math.max(1, Math.min(60, left + 1)) });
      }
    }
    return [];
  }

  // ---- event handlers ----

  messageLine(event, { earlier = false, state = "", key = null } = {}) {
    const timePart = [clock(event.ts) + "  ", ["time"]];
    const mark = event.admin === true || this.isAdmin(event.from) ? ADMIN_MARK : "";
    const sender = mark + safe(event.from, false);
    const senderTags = ["nick", `nick${nickColour(event.from)}`];
    const own = this.isMe(event.from);
    const body = bodyParts(event.text);
    if (state === "pending") {
      body.push(["  " + (this.online ? t("sending…") : t("waiting to send…")), ["status"]]);
    } else if (state === "sent") {
      body.push(["  ✓", ["status"]]);
    } else if (state === "failed") {
      body.push(["  " + t("not sent"), ["status_failed"]]);
    }
    if (event.to == null) {
      const who = [sender + (own ? " " + t("(you)") : ""), own ? [...senderTags, "me"] : senderTags];
      return line("public", [timePart, who, [": ", ["body"]], ...body], { own, earlier, key, state });
    }
    const to = safe(event.to, false);
    const route = own
      ? [[mark + t("you"), [...senderTags, "me"]], [" → ", ["arrow"]],
        [this.isMe(event.to) ? t("you") : to, ["nick", `nick${nickColour(event.to)}`]]]
      : [[sender, senderTags], [" → ", ["arrow"]], [t("you"), ["nick", "me"]]];
    return line("private", [timePart, ...route, ["  " + t("private"), ["badge"]], [": ", ["body"]], ...body],
      { own, earlier, key, state });
  }

  seen(seq) { if (isInt(seq) && seq > this.lastSeq) this.lastSeq = seq; }

  onMessage(event) {
    if (!isInt(event.id) || typeof event.from !== "string" || typeof event.text !== "string") return [];
    if (!isInt(event.ts)) event = { ...event, ts: this.nowMs() };
    this.seen(event.seq);
    let key = null;
    if (this.isMe(event.from) && typeof event.cid === "string") {
      this.outbox.confirm(event.cid);
      key = this.lineOfCid.get(event.cid) || null;
      this.lineOfCid.delete(event.cid);
    }
    if (this.shownIds.has(event.id)) return [];   // a replay or a re-echo
    this.shownIds.add(event.id);
    if (!this.isMe(event.from) && !this.focused) {
      this.unread += 1;
      if (event.to != null) this.unreadPrivate += 1;
    }
    return [this.messageLine(event, { state: key ? "sent" : "", key })];
  }

  welcomeProblem(event) {
    const wanted = this.me || this.loginNick;
    if (typeof event.nick !== "string" || !event.nick || (wanted && nickKey(event.nick) !== nickKey(wanted))) {
      return t("the server welcomed someone else");
    }
    if (!Array.isArray(event.users) || event.users.some((u) => typeof u !== "string" || !u || u.length > 4 * MAX_NICK_CHARS)) {
      return t("its list of users is not a list of nicknames");
    }
    if (!event.users.some((u) => nickKey(u) === nickKey(event.nick))) return t("you are not in its list of users");
    return null;
  }

  onWelcome(event) {
    const problem = this.welcomeProblem(event);
    if (problem) {
      const text = t("This server's welcome makes no sense ({problem}). Is it a ClassChat server?", { problem });
      return this.loginRefused({ code: "bad_frame" }, text);
    }
    const returning = this.me !== null;
    const resumed = event.resumed === true && returning;
    this.awaitingWelcome = false;
    this.me = event.nick;
    this.admin = event.admin === true;
    this.serverName = str(event.server) || "";
    if (this.state !== P.ONLINE) this.life.move(P.ONLINE);
    this.banner = null;
    this.backoff.reset();
    this.session = str(event.session) || (resumed ? this.session : null);
    const heartbeat = typeof event.heartbeat === "number" ? event.heartbeat : 0;
    this.heartbeatInterval = heartbeat;
    this.heartbeat = new Heartbeat(this.clock(), heartbeat, true);
    this.setRoom(event);
    this.setUsers(event.users, names(event.admins));
    if (this.recipient && !this.userOf.has(nickKey(this.recipient))) this.recipient = null;
    let lines = [];
    if (!resumed) {
      this.lastSeq = isInt(event.seq) ? event.seq : 0;
      lines = this.history(Array.isArray(event.history) ? event.history : []);
      const others = event.users.length - 1;
      const online = others === 0 ? t("Nobody else is online yet.")
        : nt("{n} other person is online.", "{n} other people are online.", others);
      if (returning) {
        lines.push(notice(t("Reconnected as {nick}.", { nick: event.nick }) + " " + online));
      } else {
        lines.push(notice(t("Welcome, {nick}!", { nick: event.nick }) + " " + online));
        lines.push(notice(t("Press Enter to send, Shift+Enter for a new line. Click a name on the right to talk privately; type -help for the typed commands.")));
      }
      if (this.admin && !returning) {
        lines.push(notice(t("You are an admin: right-click a name, or use the buttons under the user list, to keep order.")));
      }
    }
    if (event.gap === true) lines.push(notice(t("Some messages from while you were away could not be recovered.")));
    // Whatever the server has not confirmed goes again, in order, with its cid.
    for (const say of this.outbox.pending()) {
      this.outbox.markSent(say.cid);
      this.effect("send", { frame: sayFrame(say) });
      lines.push(this.ownLine(say, "pending"));
    }
    return lines;
  }

  history(items) {
    const fresh = items.filter((m) => m && isInt(m.id) && typeof m.from === "string" && typeof m.text === "string" && !this.shownIds.has(m.id));
    if (!fresh.length) return [];
    const lines = [separator(t("Earlier messages"))];
    for (const m of fresh) {
      this.shownIds.add(m.id);
      lines.push(this.messageLine(isInt(m.ts) ? m : { ...m, ts: this.nowMs() }, { earlier: true }));
    }
    lines.push(separator(t("Now")));
    return lines;
  }

  onJoined(event) {
    if (typeof event.nick !== "string") return [];
    this.seen(event.seq);
    const key = nickKey(event.nick);
    if (event.admin === true) this.admins.add(key); else this.admins.delete(key);
    this.userOf.set(key, event.nick);
    this.usersVersion += 1;
    return [this.digest("joined", event.nick, event.ts, event.admin === true)];
  }

  // Joins (or leaves) in a burst share one quiet line that grows in place.
  digest(kind, nick, ts, admin = false, single = "") {
    ts = isInt(ts) ? ts : this.nowMs();
    const name = admin ? `${nick} (${t("admin")})` : nick;
    let digest = this.digests[kind];
    if (!digest || digest.said !== this.said || ts - digest.start > DIGEST_WINDOW_MS) {
      digest = this.digests[kind] = { said: this.said, start: ts, count: 0, names: [], key: `${kind}${this.next()}` };
    }
    digest.count += 1;
    if (digest.names.length < DIGEST_NAMES) digest.names.push(name);
    const count = digest.count;
    let text;
    if (count === 1) {
      text = single || t("{nick} joined", { nick: name });
    } else {
      let list = digest.names.join(", ");
      const more = count - digest.names.length;
      if (more > 0) list += " " + nt("and {n} more", "and {n} more", more);
      text = kind === "joined" ? nt("{n} joined: {names}", "{n} joined: {names}", count, { names: list })
        : nt("{n} left: {names}", "{n} left: {names}", count, { names: list });
    }
    return notice(clock(digest.start) + "  " + text, { key: digest.key });
  }

  onLeft(event) {
    if (typeof event.nick !== "string") return [];
    this.seen(event.seq);
    const key = nickKey(event.nick);
    this.userOf.delete(key);
    this.admins.delete(key);
    this.muted.delete(key);
    this.usersVersion += 1;
    let text = leftText(event.nick, String(event.reason), typeof event.by === "string" ? event.by : null);
    const message = str(event.message);
    if (message) text += `: ${message}`;
    let lines;
    if (event.reason === "kicked" || message) {
      lines = [notice(`${clock(isInt(event.ts) ? event.ts : this.nowMs())}  ${text}`)];
      const undo = this.takeUndo((f) => f.type === "kick" && nickKey(f.nick) === key);
      if (undo) lines = [this.withUndo(lines[0], undo)];
      this.said += 1;
    } else {
      lines = [this.digest("left", event.nick, event.ts, false, text)];
    }
    if (this.recipient && nickKey(this.recipient) === key) {
      this.recipient = null;
      lines.push(notice(t("{nick} is gone; your messages go to Everyone again.", { nick: event.nick })));
      this.said += 1;
    }
    return lines;
  }

  onUsers(event) {
    if (!Array.isArray(event.users)) return [];
    this.setUsers(event.users, names(event.admins));
    const list = this.users.map((u) => (this.isAdmin(u) ? `${u} (${t("admin")})` : u));
    return [notice(t("Online ({n}): {names}", { n: list.length, names: list.join(", ") }))];
  }

  onWhoami(event) {
    this.admin = event.admin === true;
    this.setUsers(this.users, this.admins, true);
    return [notice(t(this.admin ? "You are {nick} (admin)." : "You are {nick}.", { nick: String(event.nick) }))];
  }

  onError(event) {
    const text = str(event.message) || String(event.code);
    const cid = str(event.cid);
    if (cid !== null && this.outbox.has(cid)) {
      if (event.code === "rate_limited") {
        this.outbox.later(cid);
        this.effect("sendLater", { cid, seconds: RATE_LIMIT_RETRY });
        return [];
      }
      const say = this.outbox.refuse(cid);
      this.effect("restore", { text: say.text });
      const key = this.lineOfCid.get(cid);
      this.lineOfCid.delete(cid);
      if (key) return [this.ownLineFailed(say, key), errorLine(text)];
    }
    return [errorLine(text)];
  }

  ownLineFailed(say, key) {
    const shown = this.messageLine({ id: 0, ts: this.nowMs(), from: this.me || "", to: say.to, text: say.text, admin: this.admin },
      { state: "failed", key });
    const name = this.action(() => this.retry(say, key));
    return { ...shown, parts: [...shown.parts, ["  " + t("Retry"), ["action", `act-${name}`]]] };
  }

  onBye(event) {
    const message = str(event.message);
    const why = message ? `: ${message}` : ".";
    if (event.reason === "kicked") {
      this.life.move(P.KICKED);
      this.goneOffline();
      let text = t("You were removed by an admin") + why;
      const minutes = event.minutes;
      if (typeof minutes === "number" && minutes > 0) {
        text += " " + nt("You can join again in {n} minute.", "You can join again in {n} minutes.", Math.trunc(minutes), { n: String(minutes) });
      }
      this.banner = { kind: "kicked", text, autoRetry: false, canReconnect: false };
      return [this.ended(text)];
    }
    if (event.reason === "logout") {
      this.life.move(P.LOGGED_OUT);
      this.goneOffline();
      this.banner = { kind: "logged_out", text: t("You logged out."), autoRetry: false, canReconnect: false };
      return [this.ended(t("You logged out."))];
    }
    if (this.state === P.ONLINE) {
      this.life.move(P.RECONNECTING);
      this.goneOffline();
    }
    if (event.reason === "dropped") this.session = null;
    const texts = {
      dropped: t("The server dropped this connection: it fell too far behind."),
      timeout: t("The server closed the connection: no login in time."),
    };
    const text = texts[event.reason] || t("The server closed the connection ({reason}).", { reason: String(event.reason) });
    this.banner = { kind: "lost", text: text + " " + t("Reconnecting…"), autoRetry: true, canReconnect: true,
      countdown: text + " " + t("Reconnecting in {seconds} s…") };
    return [];
  }

  onShutdown(event) {
    if (this.state !== P.ONLINE && this.state !== P.RECONNECTING) return [];
    this.life.move(P.SHUT_DOWN);
    this.goneOffline();
    const reason = str(event.reason) || "";
    const by = str(event.by);
    let said;
    if (!by || by === "server") said = t("The server stopped");
    else if (this.isMe(by)) said = t("You shut the server down");
    else said = t("{who} shut the server down", { who: by });
    said += reason ? `: ${reason.replace(/[.!?]+$/, "")}.` : ".";
    this.banner = { kind: "shutdown", text: said + " " + t("Reconnecting when it is back…"), autoRetry: true, canReconnect: true,
      countdown: said + " " + t("Reconnecting in {seconds} s…") };
    return [this.ended(said)];
  }

  onNotice(event) {
    if (typeof event.text !== "string") return [];
    let shown = notice(`${clock(isInt(event.ts) ? event.ts : this.nowMs())}  ${event.text}`);
    if (this.admin) {
      const undo = this.takeUndo((f) => f.type !== "kick");
      if (undo) shown = this.withUndo(shown, undo);
    }
    return [shown];
  }

  onRoom(event) {
    this.setRoom(event);
    this.usersVersion += 1;
    return [];
  }

  onBans(event) {
    this.bans = Array.isArray(event.bans) ? event.bans.filter((b) => b && typeof b === "object") : [];
    this.effect("showBans", { bans: this.bans });
    return [];
  }

  setRoom(event) {
    this.muted = new Set(names(event.muted).map(nickKey));
    this.mutedAll = event.muted_all === true;
    this.slow = typeof event.slow === "number" && event.slow > 0 ? event.slow : 0;
  }

  ended(text) { return notice(`${clock(this.nowMs())}  ${text}`); }

  goneOffline() {
    if (this.focused) { this.unread = 0; this.unreadPrivate = 0; }
    this.setUsers([], []);
  }

  // The whole list at once (a welcome, a users answer). You are an admin when the
  // server said so, even a server that does not list admins.
  setUsers(users, adminNicks, keys = false) {
    this.userOf = new Map(users.filter((u) => typeof u === "string").map((u) => [nickKey(u), u]));
    const adminKeys = keys ? [...adminNicks] : adminNicks.map(nickKey);
    this.admins = new Set(adminKeys.filter((k) => this.userOf.has(k)));
    if (this.me !== null) {
      const mine = nickKey(this.me);
      if (this.admin && this.userOf.has(mine)) this.admins.add(mine);
      else if (!this.admin) this.admins.delete(mine);
    }
    this.usersVersion += 1;
  }
}

function names(value) {
  return Array.isArray(value) ? value.filter((v) => typeof v === "string") : [];
}

function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

// The text, one part per line: continuation lines carry `cont`, which the pane
// indents under the text (so none can pass for another person's message).
function bodyParts(text) {
  let lines = safe(text).split("\n");
  if (lines.length > MAX_LINES) lines = [...lines.slice(0, MAX_LINES - 1), "…"];
  const parts = [[lines[0], ["body"]]];
  for (const more of lines.slice(1)) parts.push(["\n", ["body"]], [more || " ", ["body", "cont"]]);
  return parts;
}

function usageText(problem) {
  const message = problem.message || "";
  if (message.startsWith("Usage: ")) return t("Usage: {usage}", { usage: message.slice(7) });
  if (problem.code === "unknown_type") return t("Unknown flag. To send the line as a message, start it with -all.");
  return message;
}

// A typed command -> its JSON frame.
export function commandFrame(command) {
  switch (command.type) {
    case "kick": {
      const frame = { type: "kick", nick: command.nick };
      if (command.reason) frame.reason = command.reason;
      if (command.minutes !== null && command.minutes !== undefined) frame.minutes = command.minutes;
      return frame;
    }
    case "down": return command.reason ? { type: "down", reason: command.reason } : { type: "down" };
    case "mute": case "unmute": return command.nick ? { type: command.type, nick: command.nick } : { type: command.type };
    default: return command;
  }
}

// The page: carries out what the presenter decides (presenter.js), owns the DOM and the
// link. Text always goes in with textContent, never as HTML.

import { LANGUAGES, browserLanguage, currentLanguage, format, nt, setLanguage, t } from "./i18n.js";
import { Link } from "./link.js";
import { Phase, Presenter, RETRYING, lineText, localNickProblem } from "./presenter.js";
import { passwordKey } from "./sha256.js";
import { clock, nickKey } from "./text.js";

const STORE = "classchat.web";        // remembered: nickname and language, never a password
const FOLLOW_SLACK = 40;              // px from the bottom that still counts as "at the bottom"
const MAX_PANE_LINES = 5000;          // the oldest lines go beyond this
const ANNOUNCE_KEEP = 5;
const TICK_MS = 250;

const $ = (id) => document.getElementById(id);
const el = {};
for (const id of ["connect-view", "connect-form", "nick", "password", "language", "connect-error",
  "connect", "server-address", "chat-view", "me", "header-info", "users-toggle", "users-toggle-count",
  "banner", "banner-text", "reconnect", "messages", "jump", "side", "users-label", "find", "users",
  "admin-box", "kick-picked", "mute-picked", "mute-class", "slow-mode", "show-bans", "shut-down",
  "room-line", "recipient", "input", "send", "waiting", "announcer", "kick-dialog", "kick-title",
  "kick-reason", "kick-minutes", "slow-dialog", "slow-seconds", "bans-dialog", "bans-list",
  "down-dialog", "down-reason", "password-dialog", "password-why", "password-again",
  "password-quit", "password-student", "user-menu"]) {
  el[id.replace(/-(\w)/g, (_, c) => c.toUpperCase())] = $(id);
}

let presenter = null;
let retryTimer = null;
let stuckToBottom = true;   // the reader was at the bottom of the pane when it last moved
let retryAt = 0;
let unseenBelow = 0;          // messages that came while the reader was scrolled up
let kickTarget = null;
let usersDrawn = -1;
const lineNodes = new Map();  // line key -> its <li>

const link = new Link({
  frame: (frame) => { presenter.heard(); show(presenter.apply(frame)); settle(); },
  heard: () => presenter.heard(),
  ended: () => { if (presenter) { show(presenter.linkEnded()); settle(); } },
  impostor: () => { show(presenter.impostor()); settle(); },
});

// ---- remembering the form ----

function remembered() {
  try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch { return {}; }
}
function remember(values) {
  try { localStorage.setItem(STORE, JSON.stringify({ ...remembered(), ...values })); } catch { /* private mode */ }
}

// ---- static text in the chosen language ----

function translatePage() {
  document.documentElement.lang = currentLanguage();
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-placeholder]")) node.placeholder = t(node.dataset.tPlaceholder);
  for (const node of document.querySelectorAll("[data-t-label]")) node.setAttribute("aria-label", t(node.dataset.tLabel));
  if (presenter) refresh();
}

// ---- the connect form ----

async function start() {
  const saved = remembered();
  for (const [code, name] of Object.entries(LANGUAGES)) el.language.add(new Option(name, code));
  el.language.value = saved.language || browserLanguage();
  await setLanguage(el.language.value);
  translatePage();
  el.nick.value = saved.nick || "";
  el.serverAddress.textContent = location.host;
  (el.nick.value ? el.password : el.nick).focus();
  el.language.addEventListener("change", async () => {
    remember({ language: el.language.value });
    await setLanguage(el.language.value);
    translatePage();
  });
  el.connectForm.addEventListener("submit", (event) => { event.preventDefault(); connect(); });
  wireChat();
  setInterval(tick, TICK_MS);
}

function connect() {
  const nick = el.nick.value.trim().normalize("NFC");
  const problem = localNickProblem(nick);
  if (problem) { formError(problem); el.nick.focus(); return; }
  remember({ nick, language: el.language.value });
  const password = el.password.value;
  // Only the key is kept (in memory) for reconnecting: the password itself goes nowhere.
  const key = password ? passwordKey(password) : null;
  presenter = new Presenter();
  presenter.setFocused(document.hasFocus() && !document.hidden);
  el.messages.replaceChildren();
  lineNodes.clear();
  formError("");
  el.connect.disabled = true;
  el.connect.textContent = t("Connecting…");
  const attempt = presenter.connecting(nick, key);
  link.connect(attempt.frame, attempt.adminKey);
}

function formError(text) {
  el.connectError.textContent = text;
}

function backToForm(text) {
  link.close();
  el.chatView.hidden = true;
  el.connectView.hidden = false;
  el.connect.disabled = false;
  el.connect.textContent = t("Connect");
  formError(text || "");
  document.title = "ClassChat";
  (text && /nick/i.test(text) ? el.nick : el.connect).focus();
}

// ---- effects and redrawing ----

function settle() {
  for (const effect of presenter.effects()) run(effect);
  if (presenter && presenter.state === Phase.LOGGED_OUT) {
    quit(t("You logged out."));
    return;
  }
  refresh();
}

function run(effect) {
  switch (effect.do) {
    case "send": link.send(effect.frame); break;
    case "close": link.close(); break;
    case "sendLater":
      setTimeout(() => { if (presenter) { for (const e of presenter.resend(effect.cid)) run(e); refresh(); } }, effect.seconds * 1000);
      break;
    case "restore":
      if (!el.input.value.trim()) el.input.value = effect.text;
      break;
    case "retry": scheduleRetry(effect.seconds); break;
    case "dialogError": backToForm(effect.text); break;
    case "askPassword": askPassword(effect.text); break;
    case "showBans": showBans(effect.bans); break;
    default: break;
  }
}

function scheduleRetry(seconds) {
  clearTimeout(retryTimer);
  retryAt = Date.now() + seconds * 1000;
  retryTimer = setTimeout(reconnectNow, seconds * 1000);
}

function reconnectNow() {
  clearTimeout(retryTimer);
  retryTimer = null;
  retryAt = 0;
  if (!presenter || ![...RETRYING, Phase.REFUSED].includes(presenter.state)) return;
  const attempt = presenter.attempt();
  link.connect(attempt.frame, attempt.adminKey);
  refresh();
}

function tick() {
  if (!presenter) return;
  const lines = presenter.tick();
  show(lines);
  for (const effect of presenter.effects()) run(effect);
  if (retryAt) drawBanner();
}

function firstWelcome() {
  el.connectView.hidden = true;
  el.chatView.hidden = false;
  el.password.value = "";
  el.connect.disabled = false;
  el.connect.textContent = t("Connect");
  el.input.focus();
}

function refresh() {
  if (!presenter) return;
  if (presenter.me && el.chatView.hidden && presenter.state !== Phase.OFFLINE) firstWelcome();
  document.title = presenter.title();
  el.me.textContent = presenter.me || "";
  el.headerInfo.textContent = presenter.headerInfo();
  el.usersToggleCount.textContent = String(presenter.userCount);
  el.usersToggle.setAttribute("aria-label", nt("{n} online", "{n} online", presenter.userCount));
  el.usersLabel.textContent = presenter.online ? t("ONLINE · {n}", { n: presenter.userCount }) : t("OFFLINE");
  drawBanner();
  drawUsers();
  drawComposer();
  drawAdmin();
}

function drawBanner() {
  const banner = presenter.banner;
  el.banner.hidden = !banner;
  if (!banner) return;
  el.banner.className = `banner ${banner.kind}`;
  let text = banner.text;
  if (retryAt && banner.countdown) {
    text = format(banner.countdown, { seconds: Math.max(1, Math.ceil((retryAt - Date.now()) / 1000)) });
  }
  el.bannerText.textContent = text;
  el.reconnect.hidden = !banner.canReconnect;
}

function drawComposer() {
  const to = presenter.recipient;
  el.recipient.textContent = presenter.recipientLabel();
  el.recipient.classList.toggle("private", Boolean(to));
  const hint = presenter.inputHint();
  const disabled = !presenter.canType;
  if (el.input.disabled !== disabled) {
    el.input.disabled = disabled;
    if (!disabled) el.input.focus();
  }
  el.input.placeholder = hint;
  el.send.disabled = disabled;
  el.roomLine.textContent = presenter.roomLine();
  el.waiting.textContent = presenter.waitingNote();
}

function drawUsers() {
  if (usersDrawn === presenter.usersVersion + ":" + (presenter.recipient || "") + el.find.value) return;
  usersDrawn = presenter.usersVersion + ":" + (presenter.recipient || "") + el.find.value;
  const picked = presenter.recipient ? nickKey(presenter.recipient) : null;
  const items = presenter.userRows(el.find.value).map((row) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = row.tags.join(" ");
    button.dataset.nick = row.nick ?? "";
    button.setAttribute("aria-pressed", String(row.nick === null ? picked === null : nickKey(row.nick) === picked));
    if (row.tags.includes("admin")) {
      const star = document.createElement("span");
      star.className = "star";
      star.textContent = "★";
      star.setAttribute("aria-hidden", "true");
      button.append(star);
    }
    const name = document.createElement("span");
    name.className = "name " + (row.tags.find((tag) => /^nick\d+$/.test(tag)) || "");
    name.textContent = row.name;
    button.append(name);
    if (row.note) {
      const note = document.createElement("span");
      note.className = "note";
      note.textContent = row.note;
      button.append(note);
    }
    item.append(button);
    return item;
  });
  el.users.replaceChildren(...items);
}

function drawAdmin() {
  el.adminBox.hidden = !(presenter.admin && presenter.online);
  const picked = presenter.recipient;
  const other = picked && !presenter.isMe(picked);
  el.kickPicked.hidden = !other;
  el.mutePicked.hidden = !other || presenter.isAdmin(picked);
  if (other) {
    el.kickPicked.textContent = t("Kick {nick}…", { nick: picked });
    el.mutePicked.textContent = t(presenter.isMuted(picked) ? "Unmute {nick}" : "Mute {nick}", { nick: picked });
  }
  el.muteClass.textContent = presenter.mutedAll ? t("Unmute the class") : t("Mute the class");
}

// ---- the message pane ----

function atBottom() {
  const pane = el.messages;
  return pane.scrollHeight - pane.scrollTop - pane.clientHeight <= FOLLOW_SLACK;
}

function show(lines) {
  if (!lines.length) return;
  const follow = atBottom();
  let added = 0;
  for (const shown of lines) {
    const node = render(shown);
    const old = shown.key ? lineNodes.get(shown.key) : null;
    if (old && old.isConnected) {
      old.replaceWith(node);
    } else {
      el.messages.append(node);
      if (shown.kind === "public" || shown.kind === "private") added += 1;
      announce(shown);
    }
    if (shown.key) lineNodes.set(shown.key, node);
  }
  while (el.messages.childElementCount > MAX_PANE_LINES) el.messages.firstElementChild.remove();
  if (follow) {
    el.messages.scrollTop = el.messages.scrollHeight;
  } else if (added) {
    unseenBelow += added;
    el.jump.textContent = nt("{n} new message ↓", "{n} new messages ↓", unseenBelow);
    el.jump.hidden = false;
  }
}

function render(shown) {
  const item = document.createElement("li");
  item.className = [shown.kind, shown.own ? (shown.kind === "private" ? "private-own" : "own") : "",
    shown.earlier ? "earlier" : "", shown.state].filter(Boolean).join(" ");
  for (const [text, tags] of shown.parts) {
    const action = tags.find((tag) => tag.startsWith("act-"));
    let node;
    if (action) {
      node = document.createElement("button");
      node.type = "button";
      node.dataset.action = action.slice(4);
    } else {
      node = document.createElement("span");
    }
    node.className = tags.filter((tag) => !tag.startsWith("act-")).join(" ");
    node.textContent = text;
    item.append(node);
  }
  return item;
}

// New lines from others, for screen readers (the pane itself is not live: lines that
// change in place, such as "sending…" turning into ✓, would be read again).
function announce(shown) {
  if (shown.own || shown.earlier || shown.kind === "separator" || shown.kind === "help") return;
  const item = document.createElement("p");
  item.textContent = lineText(shown);
  el.announcer.append(item);
  while (el.announcer.childElementCount > ANNOUNCE_KEEP) el.announcer.firstElementChild.remove();
}

// ---- what the student does ----

function sendInput() {
  if (!presenter) return;
  const result = presenter.readInput(el.input.value);
  if (result.frame) link.send(result.frame);
  show(result.lines);
  if (result.clear) el.input.value = "";
  autoSize();
  if (result.quit) {
    setTimeout(() => { if (presenter && presenter.state !== Phase.LOGGED_OUT) quit(); }, 1000);
  }
  if (result.lines.length) el.messages.scrollTop = el.messages.scrollHeight;
  settle();
}

function quit(text = "") {
  link.close();
  clearTimeout(retryTimer);
  retryAt = 0;
  presenter = null;
  backToForm(text);
}

function pick(nick) {
  presenter.selectRecipient(nick || null);
  refresh();
  el.side.classList.remove("open");
  el.usersToggle.setAttribute("aria-expanded", "false");
  el.input.focus();
}

function autoSize() {
  el.input.style.height = "auto";
  el.input.style.height = `${Math.min(el.input.scrollHeight + 2, window.innerHeight * 0.4)}px`;
}

function openDialog(dialog, focus) {
  closeMenu();
  dialog.showModal();
  if (focus) { focus.focus(); focus.select?.(); }
}

function askPassword(text) {
  el.passwordWhy.textContent = text;
  el.passwordAgain.value = "";
  openDialog(el.passwordDialog, el.passwordAgain);
}

function showBans(bans) {
  const items = bans.map((ban) => {
    const item = document.createElement("li");
    const what = document.createElement("span");
    const until = Number.isInteger(ban.until) ? clock(ban.until) : "?";
    what.textContent = t("{who} until {time}, by {admin}", { who: ban.nick || ban.ip || "?", time: until, admin: ban.by || "?" })
      + (ban.reason ? ` — ${ban.reason}` : "");
    const lift = document.createElement("button");
    lift.type = "button";
    lift.textContent = t("Lift");
    lift.addEventListener("click", () => {
      link.send(presenter.unbanFrame(ban));
      item.remove();
    });
    item.append(what, lift);
    return item;
  });
  if (!items.length) {
    const none = document.createElement("li");
    none.textContent = t("Nobody is kept out.");
    items.push(none);
  }
  el.bansList.replaceChildren(...items);
  if (!el.bansDialog.open) openDialog(el.bansDialog);
}

function openKick(nick) {
  kickTarget = nick;
  el.kickTitle.textContent = t("Remove {nick} from the chat?", { nick });
  el.kickReason.value = "";
  el.kickMinutes.value = "10";
  openDialog(el.kickDialog, el.kickReason);
}

function adminSend(frame) {
  link.send(frame);
  settle();
}

function openMenu(nick, x, y) {
  if (!presenter.admin || presenter.isMe(nick)) return false;
  const entries = [[t("Kick {nick}…", { nick }), () => openKick(nick)]];
  if (!presenter.isAdmin(nick)) {
    const muted = presenter.isMuted(nick);
    entries.push([t(muted ? "Unmute {nick}" : "Mute {nick}", { nick }), () => adminSend(presenter.muteFrame(nick, !muted))]);
  }
  el.userMenu.replaceChildren(...entries.map(([label, act]) => {
    const button = document.createElement("button");
    button.type = "button";
    button.setAttribute("role", "menuitem");
    button.textContent = label;
    button.addEventListener("click", () => { closeMenu(); act(); });
    return button;
  }));
  el.userMenu.hidden = false;
  el.userMenu.style.left = `${Math.min(x, window.innerWidth - el.userMenu.offsetWidth - 4)}px`;
  el.userMenu.style.top = `${Math.min(y, window.innerHeight - el.userMenu.offsetHeight - 4)}px`;
  el.userMenu.firstElementChild.focus();
  return true;
}

function closeMenu() { el.userMenu.hidden = true; }

function wireChat() {
  el.input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendInput();
    }
  });
  el.input.addEventListener("input", autoSize);
  el.send.addEventListener("click", () => { sendInput(); el.input.focus(); });
  el.users.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-nick]");
    if (button) pick(button.dataset.nick);
  });
  el.users.addEventListener("contextmenu", (event) => {
    const button = event.target.closest("button[data-nick]");
    if (button && button.dataset.nick && openMenu(button.dataset.nick, event.clientX, event.clientY)) event.preventDefault();
  });
  el.users.addEventListener("keydown", (event) => {
    const button = event.target.closest("button[data-nick]");
    if (!button) return;
    if (event.key === "ContextMenu" || (event.shiftKey && event.key === "F10")) {
      const box = button.getBoundingClientRect();
      if (button.dataset.nick && openMenu(button.dataset.nick, box.left + 20, box.bottom)) event.preventDefault();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const all = [...el.users.querySelectorAll("button")];
      const next = all[all.indexOf(button) + (event.key === "ArrowDown" ? 1 : -1)];
      if (next) { next.focus(); event.preventDefault(); }
    }
  });
  document.addEventListener("click", (event) => { if (!el.userMenu.contains(event.target)) closeMenu(); });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") { closeMenu(); el.side.classList.remove("open"); } });
  el.find.addEventListener("input", () => drawUsers());
  el.messages.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button || !presenter) return;
    show(presenter.runAction(button.dataset.action));
    settle();
  });
  el.messages.addEventListener("scroll", () => {
    stuckToBottom = atBottom();
    if (stuckToBottom) { unseenBelow = 0; el.jump.hidden = true; }
  });
  // A strip or a status line that appears makes the pane shorter: a reader at the bottom
  // stays at the bottom (the follow rule), instead of losing the last line under it.
  new ResizeObserver(() => {
    if (stuckToBottom) el.messages.scrollTop = el.messages.scrollHeight;
  }).observe(el.messages);
  el.jump.addEventListener("click", () => {
    el.messages.scrollTop = el.messages.scrollHeight;
    unseenBelow = 0;
    el.jump.hidden = true;
    el.input.focus();
  });
  el.reconnect.addEventListener("click", reconnectNow);
  el.usersToggle.addEventListener("click", () => {
    const open = el.side.classList.toggle("open");
    el.usersToggle.setAttribute("aria-expanded", String(open));
    if (open) (el.users.querySelector('[aria-pressed="true"]') || el.find).focus();
  });
  el.kickPicked.addEventListener("click", () => openKick(presenter.recipient));
  el.mutePicked.addEventListener("click", () => adminSend(presenter.muteFrame(presenter.recipient, !presenter.isMuted(presenter.recipient))));
  el.muteClass.addEventListener("click", () => adminSend(presenter.classMuteFrame()));
  el.slowMode.addEventListener("click", () => { el.slowSeconds.value = String(presenter.slow || 30); openDialog(el.slowDialog, el.slowSeconds); });
  el.showBans.addEventListener("click", () => link.send({ type: "bans" }));
  el.shutDown.addEventListener("click", () => { el.downReason.value = ""; openDialog(el.downDialog, el.downReason); });
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.querySelector("[data-close]")?.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => { if (presenter && !el.chatView.hidden) el.input.focus(); });
  }
  el.kickDialog.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    el.kickDialog.close();
    adminSend(presenter.kickFrame(kickTarget, el.kickReason.value, el.kickMinutes.value));
  });
  el.slowDialog.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    el.slowDialog.close();
    adminSend(presenter.slowFrame(el.slowSeconds.value));
  });
  el.bansDialog.querySelector("form").addEventListener("submit", (event) => { event.preventDefault(); el.bansDialog.close(); });
  el.downDialog.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    el.downDialog.close();
    adminSend(presenter.downFrame(el.downReason.value));
  });
  el.passwordDialog.querySelector("form").addEventListener("submit", (event) => {
    event.preventDefault();
    const password = el.passwordAgain.value;
    el.passwordAgain.value = "";
    el.passwordDialog.close();
    const attempt = presenter.retryWith(password ? passwordKey(password) : null);
    link.connect(attempt.frame, attempt.adminKey);
    refresh();
  });
  el.passwordStudent.addEventListener("click", () => {
    el.passwordDialog.close();
    const attempt = presenter.retryWith(null);
    link.connect(attempt.frame, attempt.adminKey);
    refresh();
  });
  el.passwordQuit.addEventListener("click", () => { el.passwordDialog.close(); quit(); });
  const focusChanged = () => {
    if (!presenter) return;
    presenter.setFocused(document.hasFocus() && !document.hidden);
    document.title = presenter.title();
  };
  window.addEventListener("focus", focusChanged);
  window.addEventListener("blur", focusChanged);
  document.addEventListener("visibilitychange", focusChanged);
  window.addEventListener("pagehide", () => { if (presenter && presenter.online) link.send({ type: "logout" }); });
}

start();

// For the tests and for debugging from the console: read-only views of the state.
window.classchat = {
  get presenter() { return presenter; },
  get link() { return link; },
};

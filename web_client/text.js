// Nicknames, message text and typed flags: the same rules as protocol/nicks.py,
// protocol/messages.py and protocol/text_codec.py, so the page and the server agree.

export const MAX_MESSAGE_CHARS = 2000;
export const MAX_NICK_CHARS = 24;
export const NICK_COLOURS = 24;

// Compared as NFKC + case folding (Alice = alice = ａｌｉｃｅ). Upper then lower case is
// the nearest JavaScript has to Python's casefold (ß -> SS -> ss).
export function nickKey(nick) {
  if (/^[\x00-\x7f]*$/.test(nick)) return nick.toLowerCase();
  return nick.normalize("NFKC").toUpperCase().toLowerCase().normalize("NFKC");
}

// How a person sorts names: case and accents folded ("élodie" with the e's).
export function sortName(nick) {
  return nickKey(nick).normalize("NFKD").replace(/\p{Mn}/gu, "");
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

// The same colour for a nick on every machine and in both clients (zlib.crc32 of the key).
export function nickColour(nick) {
  return crc32(new TextEncoder().encode(nickKey(nick))) % NICK_COLOURS;
}

// HH:MM in the reader's local time.
export function clock(ts) {
  const when = new Date(ts);
  return `${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
}

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

// Text safe to show: no control characters (tab and newline stay), no lone surrogates.
export function safe(text, keepNewlines = true) {
  text = typeof text === "string" ? text : String(text);
  if (!keepNewlines) text = text.replace(/\r\n|[\n\t]/g, " ");
  return text.replace(CONTROL, "").replace(LONE_SURROGATE, "\ufffd");
}

export class Refusal extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export function codePoints(text) {
  let count = 0;
  for (const _char of text) count++;
  return count;
}

// A message's text as the server will keep it, or a Refusal.
export function cleanText(text, limit = MAX_MESSAGE_CHARS) {
  text = text.replace(CONTROL, "").trim();
  if (!text) throw new Refusal("empty_message", "The message is empty.");
  const length = codePoints(text);
  if (length > limit) {
    throw new Refusal("message_too_long",
      `A message has at most ${limit} characters; this one has ${length}.`);
  }
  return text;
}

// ---- typed flags (protocol/text_codec.py parse_line) ----------------------------------

export const USAGE = {
  "-all": "-all TEXT",
  "-to": "-to NICK TEXT",
  "-login": "-login NICK [PASSWORD]",
  "-kick": "-kick NICK [MINUTES like 15m] [REASON]",
  "-unban": "-unban NICK",
  "-mute": "-mute NICK|all",
  "-unmute": "-unmute NICK|all",
  "-slow": "-slow SECONDS",
};
const DOWN = "down server";
// A flag is a dash and a letter: "-1/2 + 3/4", "- item" and "-3 is less" are messages.
const FLAG = /^-\p{L}/u;

function split(text) {
  const found = /^\s*(\S+)\s*([\s\S]*)$/.exec(text);
  return found ? [found[1], found[2].trim()] : ["", ""];
}

function usage(flag) {
  return new Refusal("bad_frame", `Usage: ${USAGE[flag]}`);
}

function two(flag, rest, secondRequired) {
  const [first, second] = split(rest);
  if (!first || (secondRequired && !second)) throw usage(flag);
  return [first, second || null];
}

function one(flag, rest) {
  const [nick, extra] = two(flag, rest, false);
  if (extra) throw usage(flag);
  return nick;
}

const everyone = (nick) => (["all", "everyone"].includes(nick.toLowerCase()) ? null : nick);

function kick(flag, rest) {
  let [nick, reason] = two(flag, rest, false);
  let minutes = null;
  if (reason) {
    const [first, after] = split(reason);
    const found = /^(\d{1,6})(m|min)?$/i.exec(first);
    if (found && (found[2] || !after)) {
      minutes = Number(found[1]);
      reason = after || null;
    }
  }
  return { type: "kick", nick, reason, minutes };
}

function slow(flag, rest) {
  const text = rest.replace(/s+$/, "");
  const seconds = Number(text);
  if (!text || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) throw usage(flag);
  return { type: "slow", seconds };
}

const FLAGS = {
  "-all": (flag, rest) => {
    if (!rest) throw usage(flag);
    return { type: "say", text: rest, to: null };
  },
  "-to": (flag, rest) => {
    const [nick, text] = two(flag, rest, true);
    return { type: "say", text, to: nick };
  },
  "-users": () => ({ type: "users" }),
  "-whoami": () => ({ type: "whoami" }),
  "-help": () => ({ type: "help" }),
  "-exit": () => ({ type: "logout" }),
  "-login": (flag, rest) => {
    const [nick] = two(flag, rest, false);
    return { type: "login", nick };
  },
  "-kick": kick,
  "-bans": () => ({ type: "bans" }),
  "-unban": (flag, rest) => ({ type: "unban", nick: one(flag, rest) }),
  "-mute": (flag, rest) => ({ type: "mute", nick: everyone(one(flag, rest)) }),
  "-unmute": (flag, rest) => ({ type: "unmute", nick: everyone(one(flag, rest)) }),
  "-slow": slow,
};

// A typed line -> a command: {type: "say", text, to} for a message, else the flag's
// command. `down server …` is the command only for an admin.
export function parseLine(line, admin = false) {
  if (admin && (line === DOWN || line.startsWith(DOWN + " "))) {
    return { type: "down", reason: line.slice(DOWN.length).trim() || null };
  }
  if (!FLAG.test(line)) return { type: "say", text: line, to: null, plain: true };
  const [word, rest] = split(line);
  const flag = word.toLowerCase();
  const parse = Object.hasOwn(FLAGS, flag) ? FLAGS[flag] : null;
  if (parse === null) {
    throw new Refusal("unknown_type",
      `Unknown flag ${flag.slice(0, 30)}; -help lists them. To send this line as a message, ` +
      `start it with -all: -all ${line.slice(0, 40)}`);
  }
  return parse(flag, rest);
}

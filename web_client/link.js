// One WebSocket to the chat server at a time (ws://<this page's host>/ws). Each text
// message is one JSON frame. For an admin, the login goes by proof: challenge -> nonce,
// login with cnonce and proof, and the welcome must carry the server's own proof.

import { clientProof, proofsMatch, randomHex, serverProof } from "./sha256.js";

export const MAX_SERVER_FRAME = 4 * 1024 * 1024;

export class Link {
  // handlers: frame(obj), opened(), ended(detail), impostor()
  constructor(handlers, url = socketUrl()) {
    this.handlers = handlers;
    this.url = url;
    this.socket = null;
    this.generation = 0;
  }

  get open() { return this.socket !== null && this.socket.readyState === WebSocket.OPEN; }

  // Opens a new socket and logs in with `login` (a frame); `adminKey` (32 bytes) turns
  // it into a login by proof.
  connect(login, adminKey = null) {
    this.close();
    const generation = ++this.generation;
    const socket = new WebSocket(this.url);
    this.socket = socket;
    let proof = null;   // {nonce, cnonce} once the challenge is answered
    const mine = () => generation === this.generation;
    socket.addEventListener("open", () => {
      if (!mine()) return;
      this.handlers.opened?.();
      if (adminKey) this.send({ type: "challenge" });
      else this.send(login);
    });
    socket.addEventListener("message", (message) => {
      if (!mine() || typeof message.data !== "string") return;
      if (message.data.length > MAX_SERVER_FRAME) return;
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;   // not JSON (a prompt meant for a person): skipped
      }
      if (!frame || typeof frame !== "object" || Array.isArray(frame) || typeof frame.type !== "string") return;
      if (adminKey && proof === null && frame.type === "challenge") {
        if (typeof frame.nonce !== "string" || !frame.nonce) return;
        proof = { nonce: frame.nonce, cnonce: randomHex(16) };
        this.send({ ...login, cnonce: proof.cnonce, proof: clientProof(adminKey, proof.nonce, proof.cnonce, login.nick) });
        this.handlers.heard?.();
        return;
      }
      if (adminKey && frame.type === "welcome" && frame.resumed !== true) {
        // A fresh admin login: the server must show it knows the password too.
        const expected = proof && serverProof(adminKey, proof.nonce, proof.cnonce);
        if (!expected || !proofsMatch(expected, frame.server_proof)) {
          this.close();
          this.handlers.impostor();
          return;
        }
      }
      this.handlers.frame(frame);
    });
    socket.addEventListener("close", (event) => {
      if (!mine()) return;
      this.socket = null;
      this.handlers.ended(event.reason || "");
    });
  }

  send(frame) {
    if (!this.open) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  // Closes the current socket without reporting it (the caller already knows).
  close() {
    this.generation += 1;
    if (this.socket) {
      try { this.socket.close(); } catch { /* already closing */ }
    }
    this.socket = null;
  }
}

export function socketUrl(where = location) {
  return (where.protocol === "https:" ? "wss://" : "ws://") + where.host + "/ws";
}

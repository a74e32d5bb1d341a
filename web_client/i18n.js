// Translations from the desktop client's catalogs (desktop_client/locale/<code>.json, served
// as locale/<code>.json): {"English text": "translation"} or, for a text with a number,
// {"singular": ["form 0", "form 1", …]} in the order of the language's plural rule.
// English is the source language and needs no file. Placeholders are {name}.

export const LANGUAGES = { en: "English", ru: "Русский", pt: "Português" };
export const DEFAULT = "en";

const PLURAL = {
  en: (n) => (n === 1 ? 0 : 1),
  pt: (n) => (n === 1 ? 0 : 1),
  ru: (n) => (n % 10 === 1 && n % 100 !== 11 ? 0
    : n % 10 >= 2 && n % 10 <= 4 && !(n % 100 >= 12 && n % 100 <= 14) ? 1 : 2),
};

let language = DEFAULT;
let catalog = {};

export function normalise(tag) {
  if (!tag) return "";
  const code = String(tag).replace("-", "_").split("_")[0].split(".")[0].toLowerCase();
  return code in LANGUAGES ? code : "";
}

export function browserLanguage(languages = navigator.languages || [navigator.language]) {
  for (const tag of languages) if (normalise(tag)) return normalise(tag);
  return DEFAULT;
}

export function useCatalog(code, entries) {
  language = normalise(code) || DEFAULT;
  catalog = language === DEFAULT ? {} : entries || {};
}

// Loads the catalog of `code`; English (no file) when it cannot be had.
export async function setLanguage(code) {
  code = normalise(code) || DEFAULT;
  if (code === DEFAULT) {
    useCatalog(DEFAULT, {});
    return DEFAULT;
  }
  try {
    const answer = await fetch(`locale/${code}.json`, { cache: "no-cache" });
    if (!answer.ok) throw new Error(String(answer.status));
    useCatalog(code, await answer.json());
    return code;
  } catch (problem) {
    useCatalog(DEFAULT, {});
    return DEFAULT;
  }
}

export function currentLanguage() {
  return language;
}

export function format(text, values = {}) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// t("Welcome, {nick}!", {nick}) — the text translated, then filled in.
export function t(message, values) {
  const found = catalog[message];
  return format(typeof found === "string" && found ? found : message, values);
}

// nt("{n} online", "{n} online", n) — the plural form for n; {n} is filled in.
export function nt(singular, plural, n, values = {}) {
  const found = catalog[singular];
  let text = n === 1 ? singular : plural;
  if (Array.isArray(found) && found.length) {
    const index = (PLURAL[language] || PLURAL.en)(Math.abs(Math.trunc(n)));
    text = found[Math.min(index, found.length - 1)];
  }
  return format(text, { n, ...values });
}

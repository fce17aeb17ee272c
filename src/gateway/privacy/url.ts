import { placeholder, type RedactionRule } from "./rule.ts";

/**
 * Secrets inside URLs: the userinfo of `scheme://user:pass@host` (any userinfo: a bare user name there is
 * as often a token, as in `https://<token>@github.com`), and the values of query or fragment parameters
 * whose name says they are credentials (`?token=`, `&api_key=`, `#access_token=`, `X-Amz-Signature=`).
 * The URL itself, the host and the parameter names stay: they carry meaning, not secrets.
 */

// Whole words of a parameter name (split at - _ . [ ] and camelCase) that mark a credential. Matching
// words, not substrings, keeps `monkey=`, `keyword=` and `passage=` intact.
const SECRET_WORDS = new Set([
  "token",
  "key",
  "secret",
  "password",
  "passwd",
  "pwd",
  "sig",
  "signature",
  "auth",
  "authorization",
  "credential",
  "credentials",
  "apikey",
  "jwt",
]);
// Names written as one word that are credentials as a whole.
const SECRET_NAMES = new Set(["accesstoken", "refreshtoken", "idtoken", "clientsecret", "sessionkey"]);

export function isSecretParam(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  return SECRET_NAMES.has(words.join(""));
}

// "://" and the rest of the URL, up to whitespace or a character that cannot be in a URL written in
// prose, after a scheme. The match starts at "://" and the scheme is checked behind it: a pattern that
// started with the scheme would try up to 16 characters at every word start of every text ("x.x.x.…").
// The scheme is not redacted, so it need not be part of the match.
const URL_IN_TEXT = /:\/\/(?<=\b[a-z][a-z0-9+.-]{1,15}:\/\/)[^\s<>"'`]+/giu;
// A parameter in the query or fragment: separator, name, "=", value.
const PARAM = /([?&#;])([^=&#;\s]+)=([^&#;\s]*)/g;

function redactUrl(url: string): { text: string; count: number } {
  let count = 0;
  const secret = placeholder("secret");
  const schemeEnd = url.indexOf("://") + 3;
  const authorityEnd = url.slice(schemeEnd).search(/[/?#]/);
  const authority = url.slice(schemeEnd, authorityEnd < 0 ? undefined : schemeEnd + authorityEnd);
  const at = authority.lastIndexOf("@");
  let out = url;
  if (at > 0) {
    out = `${url.slice(0, schemeEnd)}${secret}${url.slice(schemeEnd + at)}`;
    count++;
  }
  out = out.replace(PARAM, (whole: string, sep: string, name: string, value: string) => {
    if (value === "" || value === secret || !isSecretParam(decodeName(name))) return whole;
    count++;
    return `${sep}${name}=${secret}`;
  });
  return { text: out, count };
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export const urlSecrets: RedactionRule = {
  kind: "secret",
  pattern: URL_IN_TEXT,
  replace(match) {
    const result = redactUrl(match);
    return result.count > 0 ? result : null;
  },
};

// The pairing code: a server origin (http/https, IPv4, port) as 11 Crockford base32
// characters, grouped XXXX-XXXX-XXX, the last a Luhn mod 32 check character. The code IS
// the address, so the TV decodes it offline (no rendezvous server). The same codec in Python
// is serve/pairing.py; both are tested on the same vectors. 50 bits: version (1, always 0),
// https (1), IPv4 (32), port (16): exact in a JS number (no BigInt: Chromium 56 lacks it).

export const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const DATA_DIGITS = 10;
const CODE_DIGITS = 11;
const MAX_INPUT = 32;
const ALIASES = { O: 0, I: 1, L: 1 };

/** A code that is not one (or an address that cannot be one); `message` says why. */
export class PairingCodeError extends Error {}

function checkDigit(digits) {
  let total = 0;
  let factor = 2;
  for (let i = digits.length - 1; i >= 0; i -= 1) {
    const addend = factor * digits[i];
    total += Math.floor(addend / 32) + (addend % 32);
    factor = factor === 2 ? 1 : 2;
  }
  return (32 - (total % 32)) % 32;
}

function digitOf(char) {
  const at = ALPHABET.indexOf(char);
  if (at >= 0) return at;
  return Object.prototype.hasOwnProperty.call(ALIASES, char) ? ALIASES[char] : -1;
}

function usable(octets) {
  const [a] = octets;
  if (a === 0 || a >= 224) throw new PairingCodeError(`${octets.join(".")} is not an address a TV can connect to`);
}

/** encode({ scheme, ipv4, port }) -> "XXXX-XXXX-XXX". */
export function encode({ scheme, ipv4, port }) {
  if (scheme !== "http" && scheme !== "https") throw new PairingCodeError(`scheme ${scheme} is not http or https`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PairingCodeError(`port ${port} is outside 1..65535`);
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(String(ipv4));
  const octets = match ? match.slice(1).map(Number) : [];
  if (!match || octets.some((o, i) => o > 255 || (match[i + 1].length > 1 && match[i + 1][0] === "0"))) {
    throw new PairingCodeError(`${ipv4} is not an IPv4 address`);
  }
  usable(octets);
  let value = scheme === "https" ? 1 : 0;
  for (const o of octets) value = value * 256 + o;
  value = value * 65536 + port;
  const digits = [];
  for (let i = 0; i < DATA_DIGITS; i += 1) {
    digits.unshift(value % 32);
    value = Math.floor(value / 32);
  }
  const text = digits.concat([checkDigit(digits)]).map((d) => ALPHABET[d]).join("");
  return `${text.slice(0, 4)}-${text.slice(4, 8)}-${text.slice(8)}`;
}

/** decode(code) -> { scheme, ipv4, port, origin }; PairingCodeError when it is not a code. */
export function decode(code) {
  if (typeof code !== "string" || code.length > MAX_INPUT) throw new PairingCodeError("a pairing code has 11 characters");
  const compact = code.replace(/[- ]/g, "").toUpperCase();
  const digits = [];
  const bad = [];
  for (const char of compact) {
    const d = digitOf(char);
    if (d < 0) bad.push(char);
    else digits.push(d);
  }
  if (bad.length) throw new PairingCodeError(`"${bad.join("")}" cannot be in a pairing code`);
  if (digits.length !== CODE_DIGITS) throw new PairingCodeError(`a pairing code has ${CODE_DIGITS} characters, not ${digits.length}`);
  if (checkDigit(digits.slice(0, DATA_DIGITS)) !== digits[DATA_DIGITS]) {
    throw new PairingCodeError("the code has a typo (its check character does not match)");
  }
  let value = 0;
  for (let i = 0; i < DATA_DIGITS; i += 1) value = value * 32 + digits[i];
  if (value >= 2 ** 49) throw new PairingCodeError("this pairing code is from a newer Miauflix");
  const port = value % 65536;
  let rest = Math.floor(value / 65536);
  if (port === 0) throw new PairingCodeError("the code names port 0");
  const octets = [];
  for (let i = 0; i < 4; i += 1) {
    octets.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  usable(octets);
  const scheme = rest === 1 ? "https" : "http";
  const ipv4 = octets.join(".");
  return { scheme, ipv4, port, origin: `${scheme}://${ipv4}:${port}` };
}

/** True for text that looks like a code rather than an address (no dot, no colon). */
export function looksLikeCode(text) {
  const compact = String(text || "").replace(/[- ]/g, "");
  return compact.length > 0 && compact.length <= MAX_INPUT && !/[.:/]/.test(compact);
}

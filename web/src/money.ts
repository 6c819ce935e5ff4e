// Exact money text for the dashboard. The API sends amounts as integer strings of
// minor units with `_decimal` beside them; everything shown comes from those strings.
// Arithmetic, where the page needs any (differences, ratios for display), is on
// BigInt: never on JS numbers, which would round. Charts may size shapes with
// Number(), never print one.

/** "-1234567.5" -> "-1,234,567.5" (grouping only: the digits are the API's). */
export function group(decimal: string): string {
  const negative = decimal.startsWith("-");
  const body = negative ? decimal.slice(1) : decimal;
  const [whole, fraction] = body.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "-" : "") + grouped + (fraction !== undefined ? "." + fraction : "");
}

/** Integer minor units -> decimal text at `exponent` ("1234", 2 -> "12.34"). */
export function minorToDecimal(minor: string, exponent: number): string {
  const negative = minor.startsWith("-");
  let digits = negative ? minor.slice(1) : minor;
  if (exponent > 0) {
    digits = digits.padStart(exponent + 1, "0");
    digits = digits.slice(0, -exponent) + "." + digits.slice(-exponent);
  }
  return (negative ? "-" : "") + digits;
}

export type Parsed = { minor: string } | { error: string };

/** A decimal the user typed -> minor units at `exponent`, exactly, or why not. */
export function decimalToMinor(text: string, exponent: number, code: string): Parsed {
  const trimmed = text.trim();
  const match = /^(\d+)(?:\.(\d*))?$/.exec(trimmed);
  if (match === null) {
    return { error: `'${trimmed}' is not a positive decimal amount` };
  }
  const fraction = match[2] ?? "";
  if (fraction.length > exponent) {
    return { error: `'${trimmed}' has more fraction digits than ${code} allows (${exponent})` };
  }
  const minor = BigInt(match[1] + fraction.padEnd(exponent, "0"));
  if (minor === 0n) {
    return { error: "the amount must be above zero" };
  }
  return { minor: minor.toString() };
}

/** a - b on integer strings. */
export function subtract(a: string, b: string): string {
  return (BigInt(a) - BigInt(b)).toString();
}

/**
 * The decimal text of a / b (both decimal strings) to `digits` fraction digits,
 * rounded half-up: exact rational arithmetic on BigInt.
 */
export function divide(a: string, b: string, digits: number): string {
  const [an, as] = scaled(a);
  const [bn, bs] = scaled(b);
  if (bn === 0n) {
    return "—";
  }
  // a/b = (an / 10^as) / (bn / 10^bs) = an * 10^bs / (bn * 10^as)
  let num = an * 10n ** BigInt(bs + digits);
  let den = bn * 10n ** BigInt(as);
  const negative = num < 0n !== den < 0n;
  num = num < 0n ? -num : num;
  den = den < 0n ? -den : den;
  const q = (num * 2n + den) / (den * 2n);
  const text = minorToDecimal(q.toString(), digits);
  return negative && q !== 0n ? "-" + text : text;
}

/** A decimal string as (integer, scale): "1.25" -> [125n, 2]. */
function scaled(decimal: string): [bigint, number] {
  const negative = decimal.startsWith("-");
  const body = negative ? decimal.slice(1) : decimal;
  const [whole, fraction = ""] = body.split(".");
  const n = BigInt(whole + fraction);
  return [negative ? -n : n, fraction.length];
}

/** (a - b) / b in basis points, to 2 digits: how far a customer rate is from the mid. */
export function bpsFrom(a: string, b: string): string {
  const [an, as] = scaled(a);
  const [bn, bs] = scaled(b);
  const scale = Math.max(as, bs);
  const ai = an * 10n ** BigInt(scale - as);
  const bi = bn * 10n ** BigInt(scale - bs);
  return divide(((ai - bi) * 10000n).toString(), bi.toString(), 2);
}

/** Drops trailing fraction zeros for display ("1.1680000" -> "1.168"). */
export function trim(decimal: string): string {
  if (!decimal.includes(".")) {
    return decimal;
  }
  return decimal.replace(/0+$/, "").replace(/\.$/, "");
}

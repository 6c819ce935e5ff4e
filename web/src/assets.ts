// Asset exponents for printing minor units the API sends without `_decimal` (quotes,
// conversions): learned from the map's assets and the accounts the key sees, with the
// demo's usual codes as a start. An unknown code prints its minor units as such.
const exponents = new Map<string, number>([
  ["EUR", 2], ["USD", 2], ["GBP", 2], ["CHF", 2], ["JPY", 0], ["USDT", 6], ["USDC", 6],
  ["BTC", 8], ["ETH", 18],
]);

export function learnExponent(code: string, exponent: number): void {
  exponents.set(code, exponent);
}

export function exponentOf(code: string): number | undefined {
  return exponents.get(code);
}

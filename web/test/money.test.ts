// The dashboard's exact money text (src/money.ts) and metrics reader (src/metrics.ts),
// in node's test runner: ctest `web_unit` compiles them with tsc into the build tree.
import test from "node:test";
import assert from "node:assert/strict";
import { bpsFrom, decimalToMinor, divide, group, minorToDecimal, subtract, trim } from "../src/money";
import { parseMetrics, quantileBound, total } from "../src/metrics";

test("group: thousands separators on the integer part only", () => {
  assert.equal(group("0.00"), "0.00");
  assert.equal(group("999"), "999");
  assert.equal(group("1000"), "1,000");
  assert.equal(group("-1234567.891234"), "-1,234,567.891234");
  assert.equal(group("340282366920938463463374607431768211455"),
    "340,282,366,920,938,463,463,374,607,431,768,211,455");
});

test("minorToDecimal: exact at any exponent, beyond 2^53", () => {
  assert.equal(minorToDecimal("0", 2), "0.00");
  assert.equal(minorToDecimal("5", 2), "0.05");
  assert.equal(minorToDecimal("-5", 2), "-0.05");
  assert.equal(minorToDecimal("380000", 0), "380000");
  assert.equal(minorToDecimal("2500000000000000000", 18), "2.500000000000000000");
  assert.equal(minorToDecimal("9007199254740993", 2), "90071992547409.93");
});

test("decimalToMinor: what the user typed, exactly, or why not", () => {
  assert.deepEqual(decimalToMinor("100", 2, "GBP"), { minor: "10000" });
  assert.deepEqual(decimalToMinor(" 100.5 ", 2, "GBP"), { minor: "10050" });
  assert.deepEqual(decimalToMinor("0.000000000000000001", 18, "ETH"), { minor: "1" });
  assert.deepEqual(decimalToMinor("90071992547409.93", 2, "EUR"), { minor: "9007199254740993" });
  assert.match((decimalToMinor("1.234", 2, "GBP") as { error: string }).error,
    /more fraction digits than GBP allows \(2\)/);
  assert.match((decimalToMinor("1.5", 0, "JPY") as { error: string }).error, /JPY allows \(0\)/);
  for (const bad of ["", "-1", "1e3", "1,000", "abc", "1.2.3", "."]) {
    assert.ok("error" in decimalToMinor(bad, 2, "EUR"), bad);
  }
  assert.match((decimalToMinor("0.00", 2, "EUR") as { error: string }).error, /above zero/);
});

test("divide and bpsFrom: exact quotients, rounded half-up once", () => {
  assert.equal(divide("116.84", "100.00", 4), "1.1684");
  assert.equal(divide("2", "3", 4), "0.6667");
  assert.equal(divide("1", "3", 4), "0.3333");
  assert.equal(divide("-1", "8", 2), "-0.13");
  assert.equal(divide("1", "0", 2), "—");
  assert.equal(bpsFrom("1.1672", "1.1684"), "-10.27");
  assert.equal(bpsFrom("1.1684", "1.1684"), "0.00");
  assert.equal(subtract("10000", "10001"), "-1");
  assert.equal(trim("1.1680000"), "1.168");
  assert.equal(trim("97000.00000000"), "97000");
  assert.equal(trim("500"), "500");
});

test("metrics: samples, labels, histogram quantile bounds", () => {
  const text = [
    "# HELP tpwallet_ledger_commit_duration_seconds x",
    "# TYPE tpwallet_ledger_commit_duration_seconds histogram",
    'tpwallet_ledger_commit_duration_seconds_bucket{le="0.001"} 50',
    'tpwallet_ledger_commit_duration_seconds_bucket{le="0.0025"} 99',
    'tpwallet_ledger_commit_duration_seconds_bucket{le="0.005"} 100',
    'tpwallet_ledger_commit_duration_seconds_bucket{le="+Inf"} 100',
    'tpwallet_fx_provider_up{provider="ecb"} 1',
    'tpwallet_fx_provider_up{provider="binance"} 0',
    "tpwallet_transfers 229", "",
  ].join("\n");
  const samples = parseMetrics(text);
  assert.equal(samples.length, 7);
  assert.equal(quantileBound(samples, "tpwallet_ledger_commit_duration_seconds", 0.5), "0.001");
  assert.equal(quantileBound(samples, "tpwallet_ledger_commit_duration_seconds", 0.99), "0.0025");
  assert.equal(quantileBound(samples, "tpwallet_ledger_commit_duration_seconds", 1), "0.005");
  assert.equal(quantileBound(samples, "nothing", 0.5), null);
  assert.equal(total(samples, "tpwallet_fx_provider_up"), 1);
  assert.equal(samples.find((s) => s.labels.provider === "binance")?.value, 0);
  assert.equal(total(samples, "tpwallet_transfers"), 229);
});

/**
 * `describeValue`: the one description of a wrong value in "got X" messages (options, transforms,
 * embeddings texts, custom credentials, stream events), so they all name a value the same way.
 */
import { describe, expect, it } from "vitest";
import { describeValue } from "../../src/utils/values.js";

describe("describeValue", () => {
  it.each([
    ["null", null, "null"],
    ["undefined", undefined, "undefined"],
    ["an array (not 'object')", [1, 2], "an array"],
    ["a number, with its value", 42, "number 42"],
    ["NaN, with its value", Number.NaN, "number NaN"],
    ["a boolean, with its value", false, "boolean false"],
    ["a string, without its value (long, or a secret)", "dapi-secret", "string"],
    ["an object, without its keys", { token: "dapi-secret" }, "object"],
    ["a function", () => 1, "function"],
  ])("%s", (_name, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});

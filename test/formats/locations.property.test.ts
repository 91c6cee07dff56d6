import fc from "fast-check";
import { findNodeAtLocation, parseTree } from "jsonc-parser";
import { describe, expect, it } from "vitest";
import { lineColumn, parseJsonText, resolveLocations } from "../../src/formats/json-source";

/** Every path to an object inside a value. */
function objectPaths(v: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => objectPaths(x, [...path, i]));
  if (v !== null && typeof v === "object") {
    return [path, ...Object.entries(v).flatMap(([k, x]) => objectPaths(x, [...path, k]))];
  }
  return [];
}

describe("resolveLocations (fast scanner) agrees with jsonc-parser", () => {
  it("on random JSON with tricky keys, escapes, pretty and compact layouts", () => {
    const key = fc.oneof(fc.string(), fc.constantFrom('a"b', "back\\\\slash", "{[,:]}", "x\\"));
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
        fc.array(tie("node"), { maxLength: 4 }),
        fc.dictionary(key, tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2, "\t"), (v, indent) => {
        const text = JSON.stringify({ root: v }, null, indent);
        const doc = parseJsonText("t.json", text);
        const paths = objectPaths(doc.value);
        const locs = paths.map((p) => ({ file: "t.json", jsonPath: p }));
        const resolved = resolveLocations(doc, locs);
        const tree = parseTree(text)!;
        for (const loc of locs) {
          const node = loc.jsonPath.length === 0 ? tree : findNodeAtLocation(tree, loc.jsonPath)!;
          const expected = lineColumn(text, node.offset);
          expect(resolved.get(loc), JSON.stringify(loc.jsonPath)).toMatchObject({
            line: expected.line,
            column: expected.column,
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it("skips JSONC comments that contain brackets and quotes", () => {
    const text = '{\n  // a comment with { [ " \n  "a": /* ] } " */ [\n    { "b": 1 }\n  ]\n}';
    const doc = parseJsonText("c.json", text);
    const loc = { file: "c.json", jsonPath: ["a", 0] };
    expect(resolveLocations(doc, [loc]).get(loc)).toMatchObject({ line: 4, column: 5 });
  });
});

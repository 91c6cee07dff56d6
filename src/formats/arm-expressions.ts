import { Unresolved } from "../nsg/rules";

/**
 * A deliberately small evaluator for ARM template expressions: the forms NSG templates and compiled
 * Bicep use for names and rule values. Anything else stays `Unresolved` and is reported.
 */
export interface ArmScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
}

class Unsupported extends Error {}

type Token = { t: "str"; v: string } | { t: "num"; v: number } | { t: "id"; v: string } | { t: "p"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "'") {
      let s = "";
      i++;
      for (;;) {
        if (i >= src.length) throw new Unsupported("unterminated string");
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            s += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += src[i++];
      }
      out.push({ t: "str", v: s });
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+/.exec(src.slice(i));
      if (!m) throw new Unsupported(`unexpected '${c}'`);
      out.push({ t: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w]*/.exec(src.slice(i))!;
      out.push({ t: "id", v: m[0] });
      i += m[0].length;
    } else if ("(),.[]".includes(c)) {
      out.push({ t: "p", v: c });
      i++;
    } else throw new Unsupported(`unexpected '${c}'`);
  }
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[], private readonly scope: ArmScope) {}

  parseAll(): unknown {
    const v = this.expr();
    if (this.i !== this.toks.length) throw new Unsupported("trailing input");
    return v;
  }

  private peek(): Token | undefined {
    return this.toks[this.i];
  }

  private expect(p: string): void {
    const t = this.toks[this.i++];
    if (!t || t.t !== "p" || t.v !== p) throw new Unsupported(`expected '${p}'`);
  }

  private expr(): unknown {
    const t = this.toks[this.i++];
    if (!t) throw new Unsupported("unexpected end");
    let value: unknown;
    if (t.t === "str" || t.t === "num") value = t.v;
    else if (t.t === "id") {
      if (t.v === "true" || t.v === "false") value = t.v === "true";
      else {
        this.expect("(");
        const args: unknown[] = [];
        while (!(this.peek()?.t === "p" && this.peek()?.v === ")")) {
          args.push(this.expr());
          if (this.peek()?.t === "p" && this.peek()?.v === ",") this.i++;
        }
        this.expect(")");
        value = this.call(t.v.toLowerCase(), args);
      }
    } else throw new Unsupported(`unexpected '${t.v}'`);
    // Property and index access: parameters('x').name, variables('v')[0]
    for (;;) {
      const n = this.peek();
      if (n?.t === "p" && n.v === ".") {
        this.i++;
        const id = this.toks[this.i++];
        if (!id || id.t !== "id") throw new Unsupported("expected a property name");
        value = member(value, id.v);
      } else if (n?.t === "p" && n.v === "[") {
        this.i++;
        const idx = this.expr();
        this.expect("]");
        value = member(value, idx);
      } else return value;
    }
  }

  private call(fn: string, args: unknown[]): unknown {
    const str = (v: unknown): string => {
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      throw new Unsupported("non-string argument");
    };
    switch (fn) {
      case "parameters":
        return this.scope.parameter(str(args[0]));
      case "variables":
        return this.scope.variable(str(args[0]));
      case "concat":
        if (args.every(Array.isArray)) return (args as unknown[][]).flat();
        return args.map(str).join("");
      case "format":
        return str(args[0]).replace(/\{(\d+)\}/g, (_, n: string) => str(args[Number(n) + 1]));
      case "tolower":
        return str(args[0]).toLowerCase();
      case "toupper":
        return str(args[0]).toUpperCase();
      case "string":
        return str(args[0]);
      case "int":
        return Number.parseInt(str(args[0]), 10);
      case "createarray":
        return args;
      default:
        throw new Unsupported(`function ${fn}() is evaluated only at deployment`);
    }
  }
}

function member(v: unknown, key: unknown): unknown {
  if (v !== null && typeof v === "object" && (typeof key === "string" || typeof key === "number")) {
    const r = (v as Record<string | number, unknown>)[key];
    if (r !== undefined) return r;
  }
  throw new Unsupported(`cannot read '${String(key)}'`);
}

export function isExpression(s: string): boolean {
  return s.startsWith("[") && !s.startsWith("[[") && s.endsWith("]");
}

/** Evaluates one template string: a literal, an escaped `[[` literal or a supported expression. */
export function evaluateArmString(s: string, scope: ArmScope): unknown {
  if (s.startsWith("[[")) return s.slice(1);
  if (!isExpression(s)) return s;
  try {
    return new Parser(tokenize(s.slice(1, -1)), scope).parseAll();
  } catch (e) {
    if (e instanceof Unsupported || e instanceof UnresolvedError) return { unresolved: "expression", text: s } satisfies Unresolved;
    throw e;
  }
}

/** Thrown by scopes when a parameter has no value; the whole expression then stays unresolved. */
export class UnresolvedError extends Error {}

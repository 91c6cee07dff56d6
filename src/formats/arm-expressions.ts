import { unresolved } from "../nsg/rules";

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
  constructor(
    private readonly toks: Token[],
    private readonly scope: ArmScope,
  ) {}

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
        value = capped(this.call(t.v.toLowerCase(), args));
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
      case "equals":
        return JSON.stringify(args[0]) === JSON.stringify(args[1]);
      case "not":
        return !bool(args[0]);
      case "and":
        return args.every(bool);
      case "or":
        return args.some(bool);
      case "bool":
        return typeof args[0] === "string" ? args[0].toLowerCase() === "true" : bool(args[0]);
      case "if":
        return bool(args[0]) ? args[1] : args[2];
      case "empty":
        return (
          args[0] === "" ||
          (Array.isArray(args[0]) && args[0].length === 0) ||
          (typeof args[0] === "object" && args[0] !== null && Object.keys(args[0]).length === 0)
        );
      case "length":
        if (typeof args[0] === "string" || Array.isArray(args[0])) return args[0].length;
        throw new Unsupported("length() of a non-string, non-array");
      // Resource ids are only used as identities (application security groups, dependsOn): the
      // deployment's subscription and resource group stay placeholders unless given.
      case "resourceid":
        return resourceId(args.map(str), "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}", 2);
      case "subscriptionresourceid":
        return resourceId(args.map(str), "/subscriptions/{subscriptionId}", 1);
      case "extensionresourceid":
        if (args.length < 3) throw new Unsupported("extensionResourceId() needs an id, a type and a name");
        return `${str(args[0])}${providerPath(args.slice(1).map(str))}`;
      default:
        throw new Unsupported(`function ${fn}() is evaluated only at deployment`);
    }
  }
}

function bool(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  throw new Unsupported("expected a boolean");
}

/** `/providers/Ns/t1/n1/t2/n2` from a type `Ns/t1/t2` and names `n1, n2`. */
function providerPath(args: string[]): string {
  const [type, ...names] = args;
  const [ns, ...types] = (type ?? "").split("/");
  if (!ns || types.length === 0 || types.length !== names.length)
    throw new Unsupported("resource type and names do not match");
  return `/providers/${ns}${types.map((t, i) => `/${t}/${names[i]!}`).join("")}`;
}

/** resourceId([subscriptionId], [resourceGroupName], type, names...) and subscriptionResourceId(). */
function resourceId(args: string[], defaultScope: string, scopeArgs: number): string {
  const typeAt = args.findIndex((a) => a.includes("/"));
  if (typeAt < 0 || typeAt > scopeArgs) throw new Unsupported("no resource type");
  const scope = args.slice(0, typeAt);
  let prefix = defaultScope;
  if (scopeArgs === 2 && scope.length === 1) prefix = `/subscriptions/{subscriptionId}/resourceGroups/${scope[0]!}`;
  if (scopeArgs === 2 && scope.length === 2) prefix = `/subscriptions/${scope[0]!}/resourceGroups/${scope[1]!}`;
  if (scopeArgs === 1 && scope.length === 1) prefix = `/subscriptions/${scope[0]!}`;
  return `${prefix}${providerPath(args.slice(typeAt))}`;
}

/** Values the resolver builds are capped: chained variables can otherwise double 40 times. */
const MAX_VALUE_LENGTH = 1 << 16;
function capped<T>(v: T): T {
  if ((typeof v === "string" || Array.isArray(v)) && v.length > MAX_VALUE_LENGTH) {
    throw new Unsupported(`the value would be over ${MAX_VALUE_LENGTH} characters or items`);
  }
  return v;
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
    if (e instanceof Unsupported || e instanceof UnresolvedError) return unresolved("expression", s);
    throw e;
  }
}

/** Thrown by scopes when a parameter has no value; the whole expression then stays unresolved. */
export class UnresolvedError extends Error {}

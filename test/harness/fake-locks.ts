import type { ServerResponse } from "node:http";
import type { GraphRow } from "../../src/azure/model";

/*
 * Management Locks routes of the fake ARM server (api-version 2020-05-01). Source:
 * Azure/azure-rest-api-specs specification/resources/resource-manager/Microsoft.Authorization/stable/
 * 2020-05-01/locks.json:
 *  - ManagementLocks_ListAtSubscriptionLevel: GET /subscriptions/{s}/providers/Microsoft.Authorization/locks
 *  - ManagementLocks_ListAtResourceGroupLevel:
 *    GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Authorization/locks
 *  - ManagementLocks_ListAtResourceLevel:
 *    GET /subscriptions/{s}/resourcegroups/{rg}/providers/{ns}/{parentResourcePath}/
 *    {type}/{name}/providers/Microsoft.Authorization/locks ("for a resource or any level below resource")
 * Each answers ManagementLockListResult { value: ManagementLockObject[], nextLink } (x-ms-pageable).
 * A lock applies to its scope and everything below it ("When you apply a lock at a parent scope, all
 * child resources inherit the same lock", same file).
 */

export interface FakeLocksOptions {
  /** Subscriptions whose locks the caller may not read: 403 AuthorizationFailed. */
  readonly locksForbidden?: readonly string[];
  /** Locks per page before a nextLink (to exercise paging). */
  readonly locksPageSize?: number;
}

const LIST =
  /^(\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+(?:\/providers\/.+?)?)?)\/providers\/Microsoft\.Authorization\/locks$/i;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

export class FakeLocks {
  requests = 0;

  constructor(
    private readonly rows: () => readonly GraphRow[],
    private readonly opts: FakeLocksOptions = {},
  ) {}

  /** Answers a lock list request; false when the path is not one. */
  handle(method: string, url: URL, origin: string, res: ServerResponse): boolean {
    const m = LIST.exec(url.pathname);
    if (method !== "GET" || !m) return false;
    this.requests++;
    if (url.searchParams.get("api-version") !== "2020-05-01") {
      // ARM answers an api-version the provider does not serve with 400
      // (NoRegisteredProviderFound / InvalidApiVersionParameter).
      send(res, 400, {
        error: {
          code: "InvalidApiVersionParameter",
          message: `The api-version '${url.searchParams.get("api-version")}' is invalid.`,
        },
      });
      return true;
    }
    const scope = m[1]!.toLowerCase();
    const sub = /^\/subscriptions\/([^/]+)/.exec(scope)![1]!;
    if (this.opts.locksForbidden?.some((s) => s.toLowerCase() === sub)) {
      // The standard ARM RBAC denial (https://learn.microsoft.com/azure/role-based-access-control/troubleshooting).
      send(res, 403, {
        error: {
          code: "AuthorizationFailed",
          message:
            "The client does not have authorization to perform action 'Microsoft.Authorization/locks/read' " +
            `over scope '${m[1]}'.`,
        },
      });
      return true;
    }
    const all = this.rows()
      .filter((r) => r.type.toLowerCase() === "microsoft.authorization/locks")
      .map((r) => ({ id: r.id, type: "Microsoft.Authorization/locks", name: r.name, properties: r.properties ?? {} }))
      .filter((l) => {
        const lockScope = l.id.split(/\/providers\/Microsoft\.Authorization\/locks\//i)[0]!.toLowerCase();
        return lockScope === scope || lockScope.startsWith(`${scope}/`);
      })
      .sort((a, b) => a.id.localeCompare(b.id));
    const size = this.opts.locksPageSize ?? 100;
    const skip = Number(url.searchParams.get("$skiptoken") ?? 0);
    const page = all.slice(skip, skip + size);
    const next =
      skip + size < all.length
        ? `${origin}${url.pathname}?api-version=2020-05-01&$skiptoken=${skip + size}`
        : undefined;
    send(res, 200, { value: page, ...(next ? { nextLink: next } : {}) });
    return true;
  }
}

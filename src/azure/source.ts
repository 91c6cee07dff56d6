import { Selection } from "./queries";
import { GraphRow, InstanceView } from "./model";
import { LockReader } from "./locks";

/**
 * Where the audit reads Azure from. The live implementation uses the Azure SDK; tests point the
 * same implementation at a fake ARM server, so nothing here is mocked.
 */
export interface FleetSource extends LockReader {
  /** All rows of one Resource Graph query over the selection's scopes (pages followed). */
  query(query: string, sel: Selection): Promise<GraphRow[]>;
  instanceView(subscriptionId: string, resourceGroup: string, vmName: string): Promise<InstanceView>;
}

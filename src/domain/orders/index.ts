/**
 * Order management (issue 18 §2, §3): shipping addresses, the seller's refund, cancel and fulfil, the
 * country list. This file is the folder's public face: the rest of the app imports the capability from here.
 */

export type { ManagedOrder, ManagedStatus, ShippingAddress } from "../../repository/orders/manage";
export * from "./countries";
export * from "./order-management";

export interface Seller {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

export interface Drop {
  id: string;
  sellerId: string;
  slug: string;
  title: string;
  description: string;
  priceCents: number;
  currency: string;
  quantity: number;
  startsAt: Date;
  maxPerFan: number;
  bucketCount: number;
  isRehearsal: boolean;
  createdAt: Date;
}

/** The terms a seller sets for a drop; everything else about it is derived or assigned. */
export type DropTerms = Pick<
  Drop,
  "title" | "description" | "priceCents" | "currency" | "quantity" | "startsAt" | "maxPerFan"
>;

export interface Order {
  id: string;
  dropId: string;
  unitNo: number;
  fan: string;
  priceCents: number;
  attempts: number;
  createdAt: Date;
}

export type DropStatus = "upcoming" | "live" | "sold_out";

export interface StockSnapshot {
  remaining: number;
  serverTime: Date;
}

export interface Audit {
  quantity: number;
  sold: number;
  remaining: number;
  oversold: number;
  duplicateUnits: number;
  unitsOutOfRange: number;
}

import { createHash } from "node:crypto";

/** SHA-256 of a text, in hex: how an order token is kept (as checkout.ts hashes the tokens it hands out). */
export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

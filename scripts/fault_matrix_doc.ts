/**
 * Writes the fault-matrix table of docs/RELIABILITY.md from the case table the fault-matrix suite
 * runs (tests/e2e/fault_matrix_cases.ts), between its markers; the text around it is the doc's
 * own. The suite fails when the doc and the table differ: run `npx tsx scripts/fault_matrix_doc.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  FAULT_MATRIX_END,
  FAULT_MATRIX_START,
  renderFaultMatrix,
} from "../tests/e2e/fault_matrix_cases.js";

const docPath = new URL("../docs/RELIABILITY.md", import.meta.url);
const doc = readFileSync(docPath, "utf8");
const start = doc.indexOf(FAULT_MATRIX_START);
const end = doc.indexOf(FAULT_MATRIX_END);
if (start === -1 || end < start) {
  throw new Error(
    `docs/RELIABILITY.md has no fault-matrix markers: put ${FAULT_MATRIX_START} and ${FAULT_MATRIX_END} where the table goes.`,
  );
}
const table = `${FAULT_MATRIX_START}\n${renderFaultMatrix()}\n`;
writeFileSync(docPath, doc.slice(0, start) + table + doc.slice(end));
console.log("docs/RELIABILITY.md: fault matrix written");

// A TypeScript user's program: tests/package/oldest_core.test.ts type-checks it (skipLibCheck off)
// against the built declarations and the oldest supported `@langchain/core`.
import { ChatDatabricks, Databricks, DatabricksEmbeddings } from "langchain-databricks";
import { serveDriverProxyApp } from "langchain-databricks/driver-proxy";
import { z } from "zod";

const chat = new ChatDatabricks({ model: "databricks-llama", maxTokens: 5 });
const message = await chat.invoke("hi", { stop: ["\n"] });
const plan = await chat.withStructuredOutput(z.object({ city: z.string() })).invoke("Plan a trip");
const city: string = plan.city;
// `profile` is the package's own type, so it type-checks with cores that have no ModelProfile.
const claude = new ChatDatabricks({ model: "my-sonnet", modelFamily: "claude" });
const toolChoice: boolean | undefined = claude.profile.toolChoice;
const completion: string = await new Databricks({ endpointName: "dolly" }).invoke("hi");
const vector: number[] = await new DatabricksEmbeddings({ endpoint: "e" }).embedQuery("hi");
void [message, city, toolChoice, completion, vector, serveDriverProxyApp];

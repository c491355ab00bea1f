/**
 * The agent fixture the end-to-end tests share: a weather tool that records the arguments it ran
 * with, and the structured answer the agents must return.
 */
import { tool } from "langchain";
import { z } from "zod";

/** What the agents must answer. */
export const WeatherReport = z.object({
  city: z.string(),
  temperatureC: z.number(),
  summary: z.string(),
});

/** The tool's answer for a city. */
export const weatherFor = (city: string) => `It is 21 degrees and sunny in ${city}.`;

/** Arguments the weather tool ran with, in order (empty it between tests with `length = 0`). */
export const weatherCalls: { city: string }[] = [];

/** `get_weather`: records its arguments in {@link weatherCalls} and answers {@link weatherFor}. */
export const getWeather = tool(
  (args: { city: string }) => {
    weatherCalls.push(args);
    return weatherFor(args.city);
  },
  {
    name: "get_weather",
    description: "The current weather of a city.",
    schema: z.object({ city: z.string().describe("The city name") }),
  },
);

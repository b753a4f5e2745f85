import { describe, expect, it } from "vitest";
import { BOT_RULES, matchRule } from "./rules.ts";

const topicOf = (text: string) => matchRule(text)?.topic ?? null;

describe("bot keyword rules", () => {
  it("cover at least the twelve topics clients ask about, each with its own answer", () => {
    const topics = BOT_RULES.map((rule) => rule.topic);
    for (const required of [
      "login and password",
      "registration",
      "devices",
      "adding a device",
      "consumption and the chart",
      "bill and cost",
      "alerts and limits",
      "over-consumption",
      "contacting an admin",
      "opening hours",
      "greetings",
      "thanks",
    ]) {
      expect(topics).toContain(required);
    }
    expect(new Set(BOT_RULES.map((rule) => rule.answer)).size).toBe(BOT_RULES.length);
  });

  it.each([
    ["How do I log in?", "login and password"],
    ["I forgot my password", "login and password"],
    ["how can I sign up", "registration"],
    ["Where do I create an account?", "registration"],
    ["Which devices do I have?", "devices"],
    ["my smart meter", "devices"],
    ["How do I add a new device?", "adding a device"],
    ["can you install my meter", "adding a device"],
    ["How do I read the chart?", "consumption and the chart"],
    ["what is my consumption in kWh", "consumption and the chart"],
    ["How much is my bill?", "bill and cost"],
    ["what does it cost", "bill and cost"],
    ["I got an alert", "alerts and limits"],
    ["can you change my limit", "alerts and limits"],
    ["Why did I exceed my limit?", "over-consumption"],
    ["over-consumption again", "over-consumption"],
    ["I want to talk to a human", "contacting an admin"],
    ["What are your opening hours?", "opening hours"],
    ["are you open on weekends", "opening hours"],
    ["Hello!", "greetings"],
    ["good morning", "greetings"],
    ["thank you so much", "thanks"],
    ["Thanks!", "thanks"],
  ])("%j → %s", (text, topic) => {
    expect(topicOf(text)).toBe(topic);
  });

  it("is case-insensitive", () => {
    expect(topicOf("PASSWORD")).toBe("login and password");
    expect(topicOf("BiLl")).toBe("bill and cost");
  });

  it("matches whole words only", () => {
    expect(topicOf("a billion questions")).toBeNull(); // not "bill"
    expect(topicOf("this is odd")).toBeNull(); // not "hi"
    expect(topicOf("theyre")).toBeNull(); // not "hey"
    expect(topicOf("opener")).toBeNull(); // not "open"
    expect(topicOf("log in")).toBe("login and password");
    expect(topicOf("bill.")).toBe("bill and cost");
  });

  it("prefers the specific topic over a greeting or a general one", () => {
    expect(topicOf("Hi, how do I add a device?")).toBe("adding a device");
    expect(topicOf("thanks, but my device exceeded its limit")).toBe("over-consumption");
    expect(topicOf("hello, what does the chart show")).toBe("consumption and the chart");
  });

  it("leaves unrelated questions to the AI", () => {
    expect(matchRule("Are solar panels worth it?")).toBeNull();
  });
});

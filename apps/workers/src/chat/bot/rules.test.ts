import { describe, expect, it } from "vitest";
import { BOT_RULES, matchRule, normalize } from "./rules.ts";

/** Where a message goes: the id of the rule that answers it, or "ai". */
const routeOf = (text: string) => matchRule(text)?.id ?? "ai";

describe("bot keyword rules", () => {
  it("cover the topics clients ask about, each with its own id and answer", () => {
    expect(BOT_RULES.map((rule) => rule.id).sort()).toEqual(
      [
        "add-device",
        "alerts-limits",
        "bill-cost",
        "chart",
        "contact-admin",
        "devices",
        "goodbye",
        "greeting",
        "login",
        "opening-hours",
        "over-consumption",
        "profile",
        "registration",
        "thanks",
      ].sort(),
    );
    expect(new Set(BOT_RULES.map((rule) => rule.answer)).size).toBe(BOT_RULES.length);
  });

  // Real-sounding client messages and where each must go.
  it.each([
    // Small talk: only when the message is nothing more.
    ["hi!", "greeting"],
    ["Hello there 👋", "greeting"],
    ["Good morning, how are you?", "greeting"],
    ["HEYYY", "greeting"],
    ["thanks a lot", "thanks"],
    ["Thank you so much for the help!!", "thanks"],
    ["ok, thx", "thanks"],
    ["thanks, bye!", "goodbye"],
    ["Have a nice day", "goodbye"],
    // A greeting or thanks with a real question: the question decides.
    ["Hello, are heat pumps efficient in winter?", "ai"],
    ["Hi! What's the best time of day to run my washing machine?", "ai"],
    ["hey, how do I add a new meter?", "add-device"],
    ["Thanks, but my device exceeded its limit again", "over-consumption"],
    ["hi there, I forgot my password", "login"],
    ["good evening, is my data shared with my supplier?", "ai"],
    ["thank you! one more thing: why did my bill go up?", "bill-cost"],
    // Intents of each topic, in several wordings, cases and misspellings.
    ["I forgot my PASSWORD, what now?", "login"],
    ["cant log in since yesterday", "login"],
    ["How do I reset my pasword", "login"],
    ["password", "login"],
    ["how can I sign up?", "registration"],
    ["Where do I create an account for my neighbour?", "registration"],
    ["Which devices do I have?", "devices"],
    ["my meter is not sending any data since Monday", "devices"],
    ["My devise is offline", "devices"],
    ["can you install a second smart meter in the garage", "add-device"],
    ["How do I read the chart?", "chart"],
    ["what do the red bars mean", "chart"],
    ["where can I see yesterday's consumption?", "chart"],
    ["I got an alert at 3 am", "alerts-limits"],
    ["please raise my limit to 3 kWh", "alerts-limits"],
    ["how do I turn off these notifications", "alerts-limits"],
    ["Why did my heater go over the limit?", "over-consumption"],
    ["over-consumption again?!", "over-consumption"],
    ["How much will my consumption cost?", "bill-cost"],
    ["BiLl", "bill-cost"],
    ["I need to change my e-mail address", "profile"],
    ["please delete my account", "profile"],
    ["I want to talk to a human", "contact-admin"],
    ["can I speak with a real person please", "contact-admin"],
    ["What are your opening hours?", "opening-hours"],
    ["are you open on weekends", "opening-hours"],
    ["When are the admins available?", "opening-hours"],
    // Broad words inside questions about something else: no rule claims them.
    ["Can I open the chart for last week in a new tab?", "chart"], // about the chart, not opening hours
    ["Does your support cover solar inverters?", "ai"],
    ["What is the address of the nearest charging station?", "ai"],
    ["What is the usage of a fridge per day?", "ai"],
    ["Is the price of electricity higher in winter?", "ai"],
    ["Are solar panels worth it?", "ai"],
    ["How much did I use yesterday?", "ai"],
    ["Which of my devices used the most energy this week?", "ai"],
    ["is it normal that the heat pump runs at night", "ai"],
    ["what is a kilowatt hour", "ai"],
    ["this is odd", "ai"],
    ["a billion questions", "ai"],
    ["my kids are always hungry, any tips?", "ai"],
    // Noise and other languages: the AI copes (it answers in the user's language).
    ["???", "ai"],
    ["asdfghjkl", "ai"],
    ["Привет, сколько я потратил вчера?", "ai"],
    ["¿Cómo puedo ver mi consumo?", "ai"],
    ["电费怎么算", "ai"],
    ["🙂🙂🙂", "ai"],
    ["1234567", "ai"],
  ])("%j → %s", (text, route) => {
    expect(routeOf(text)).toBe(route);
  });

  it("matches whole words only", () => {
    expect(routeOf("hill")).toBe("ai"); // not "hi"
    expect(routeOf("theyre")).toBe("ai"); // not "hey"
    expect(routeOf("billing")).toBe("bill-cost");
    expect(routeOf("Thanksgiving plans")).toBe("ai");
  });

  it("normalizes case, punctuation, apostrophes and stretched letters", () => {
    expect(normalize("  Can't   LOG-in!!  ")).toBe("cant log in");
    expect(normalize("Hiiii 👋 thaaanks")).toBe("hi thanks");
    expect(normalize("Ｈｅｌｌｏ")).toBe("hello");
    expect(normalize("…!?")).toBe("");
  });
});

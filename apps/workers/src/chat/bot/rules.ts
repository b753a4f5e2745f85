/**
 * Keyword rules of the support bot: the first rule with a matching keyword answers. Keywords match
 * whole words, case-insensitively ("bill" matches "Bill?" but not "billion"); in a keyword, a space
 * stands for any whitespace and " ?" for optional whitespace ("log ?in" matches "login" and "log in"). Rules are ordered from specific to general, so
 * "hi, how do I add a device?" gets the add-a-device answer, not the greeting.
 */
export interface BotRule {
  topic: string;
  /** Whole words or phrases; may use regular-expression syntax for small variations ("devices?"). */
  keywords: readonly string[];
  answer: string;
}

export const BOT_RULES: readonly BotRule[] = [
  {
    topic: "adding a device",
    keywords: ["add(ing)? (a |my |another |new )*(device|meter)s?", "new (device|meter)s?", "(connect|install|assign)(ing)? (a |my |new )*(device|meter)s?"],
    answer:
      "Devices are added by an administrator: switch the chat to Admin mode and send the device's name, address and the " +
      "maximum hourly consumption you want (kWh). Once it is assigned to you it appears under My devices, and its readings " +
      "show up in the chart as they arrive.",
  },
  {
    topic: "over-consumption",
    keywords: ["over-?consumption", "over consumption", "exceed(ed|s|ing)?", "too much", "over (the|my) limit", "spikes?", "high (energy )?(consumption|usage)"],
    answer:
      "An over-consumption alert means one device used more energy within one clock hour than its maximum hourly " +
      "consumption. You get one alert per device and hour, the moment the total first goes above the limit (a red window). " +
      "Open the chart for that day: the hours above the limit are red. Check which appliances ran then; if the limit is too " +
      "low for normal use, ask an administrator (Admin mode) to raise it.",
  },
  {
    topic: "alerts and limits",
    keywords: ["alerts?", "alarms?", "notifications?", "limits?", "thresholds?", "max(imum)? hourly", "warnings?"],
    answer:
      "Every device has a maximum hourly consumption (kWh), shown under My devices and drawn as a line on the chart. " +
      "When a device's total for an hour goes above it you get an alert at once, and it stays in your alert history, where " +
      "you can acknowledge it — alerts that arrived while you were away are shown on your next visit. Only an administrator " +
      "can change a limit: ask in Admin mode.",
  },
  {
    topic: "consumption and the chart",
    keywords: ["consumptions?", "usage", "kwh", "charts?", "graphs?", "hourly", "readings?", "statistics", "energy used", "how much energy"],
    answer:
      "Pick a device under My devices and a day in the date picker (today by default): the chart shows 24 hourly bars in kWh, " +
      "with your limit as a line and hours above it in red; hover a bar for the exact value. The day's total is shown above " +
      "the chart, and today's bars grow live while readings arrive. Hours are shown in your time zone.",
  },
  {
    topic: "bill and cost",
    keywords: ["bills?", "billing", "invoices?", "costs?", "price", "prices", "tariffs?", "pay(ment|ments)?", "money", "expensive", "euros?"],
    answer:
      "EMS measures energy, it does not send bills: your supplier bills you. To estimate a cost, multiply the kWh shown in " +
      "the chart (or the day's total) by your tariff per kWh. To spend less, look for the red hours in the chart and the " +
      "alerts on your devices.",
  },
  {
    topic: "login and password",
    keywords: ["log ?in", "login", "sign ?in", "log ?out", "sign ?out", "passwords?", "username", "credentials", "locked out", "forgot"],
    answer:
      "Sign in on the Sign-in page with your username and password. After several failed attempts sign-in is paused for a " +
      "short while, so wait a minute before trying again. If you forgot your password, an administrator can set a new " +
      "one: switch to Admin mode and tell us your username. Never share your password, not even with us.",
  },
  {
    topic: "registration",
    keywords: ["register", "registration", "sign ?up", "create (an |my |a new )?account", "new account"],
    answer:
      "Create an account with Sign up on the sign-in page: choose a username and password and enter your name, e-mail and " +
      "address. New accounts are client accounts; an administrator then assigns your devices to you.",
  },
  {
    topic: "devices",
    keywords: ["devices?", "meters?", "smart meters?", "sensors?"],
    answer:
      "My devices lists every device assigned to you with its name, description, address and maximum hourly consumption. " +
      "Select one to see its consumption chart. Devices are created, assigned and changed by administrators: use Admin " +
      "mode to ask for a new device, a change, or to report a device that sends no readings.",
  },
  {
    topic: "profile",
    keywords: ["profile", "e-?mail", "address", "personal (data|details)", "my name", "delete my account"],
    answer:
      "Your profile holds your name, e-mail and address. An administrator can correct them or delete your account: send " +
      "the change in Admin mode.",
  },
  {
    topic: "contacting an admin",
    keywords: ["admins?", "administrators?", "human", "(a )?person", "operators?", "support", "agents?", "talk to", "speak to", "contact"],
    answer:
      "To reach a person, switch the chat toggle from Bot to Admin mode and write your message. It goes to every " +
      "administrator and is kept, so you will see the answer here even if you close the page in the meantime.",
  },
  {
    topic: "opening hours",
    keywords: ["opening hours", "office hours", "hours", "when are you", "open", "available", "availability", "weekends?", "holidays?"],
    answer:
      "Administrators answer Monday to Friday, 09:00–17:00 (Central European Time). Messages sent in Admin mode outside " +
      "these hours are kept and answered on the next working day. This bot and the alerts work around the clock.",
  },
  {
    topic: "greetings",
    keywords: ["hi", "hello", "hey", "good (morning|afternoon|evening)", "greetings", "howdy"],
    answer:
      "Hello! I am the EMS assistant. Ask me about your devices, the consumption chart, alerts and limits, sign-in or your " +
      "account — or switch to Admin mode to write to a person.",
  },
  {
    topic: "thanks",
    keywords: ["thanks", "thank you", "thank", "thx", "cheers", "appreciated?"],
    answer: "You're welcome! If anything else comes up, just ask here — or switch to Admin mode to reach a person.",
  },
  {
    topic: "goodbye",
    keywords: ["bye", "goodbye", "see you"],
    answer: "Goodbye! Your chat history is kept, so you can pick up here any time.",
  },
];

interface CompiledRule {
  rule: BotRule;
  pattern: RegExp;
}

/** A letter or digit just before/after the keyword means it is part of a longer word. */
const wholeWord = (source: string) =>
  `(?<![\\p{L}\\p{N}])(?:${source.replaceAll(" ?", "\\s*").replaceAll(" ", "\\s+")})(?![\\p{L}\\p{N}])`;

function compile(rules: readonly BotRule[]): CompiledRule[] {
  return rules.map((rule) => ({ rule, pattern: new RegExp(rule.keywords.map(wholeWord).join("|"), "iu") }));
}

const compiledRules = compile(BOT_RULES);

/** The first rule (in BOT_RULES order) with a keyword in `text`, or null. */
export function matchRule(text: string): BotRule | null {
  return compiledRules.find(({ pattern }) => pattern.test(text))?.rule ?? null;
}

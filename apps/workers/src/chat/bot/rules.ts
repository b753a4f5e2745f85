/**
 * Keyword rules of the support bot. A rule answers only when the message is about its topic:
 *
 * - `whole`: the entire message, normalized, is this and nothing more ("hi!", "thanks a lot", "bill?").
 *   Small talk (greetings, thanks, goodbye) has only this, so "Hello, are heat pumps efficient in winter?"
 *   goes to the AI instead of getting the greeting.
 * - `intents`: phrases that mean the topic wherever they stand ("forgot my password", "add a new meter"),
 *   never single broad words ("open", "support", "address", "usage", "price"), which also occur in
 *   questions about something else.
 *
 * Patterns run on the normalized message (see `normalize`): lower case, apostrophes dropped ("can't" →
 * "cant"), every other non-letter/digit a single space, letters repeated three times or more kept once
 * ("hiii" → "hi"). They are regular-expression sources matched as whole words, written with plain
 * spaces. Whole-message matches win; otherwise the first rule (in BOT_RULES order, specific before
 * general) with a matching intent answers; no match → the AI.
 */
export interface BotRule {
  /** Stable identifier (logs, tests). */
  id: string;
  topic: string;
  whole?: string;
  intents?: readonly string[];
  answer: string;
}

/** "how do I", "how can I", "how to", "where can I", … — the start of a how-to question. */
const HOW = "(how|where|what) (do|can|should|would) (i|we|you)|how (to|is it possible to)|(can|could) (i|we|you)|i (want|need|would like|d like) to";
const DEVICE = "(devices?|devise|meters?|smart ?meters?|sensors?)";
const LIMIT = "(limits?|limt|thresholds?|max(imum)?( hourly( consumption)?)?)";

export const BOT_RULES: readonly BotRule[] = [
  {
    id: "add-device",
    topic: "adding a device",
    whole: `(add|new) ${DEVICE}`,
    intents: [
      `(add|adding|connect|connecting|install|installing|register|registering|link|linking|assign|assigning|set ?up|setting up) (a |an |my |our |another |new |second |one more |the |extra )*(\\w+ )?${DEVICE}`,
      `(new|another|second|additional|extra) ${DEVICE}`,
      `(get|order|need|want|buy) (a |an |another |new |second |one more )+(smart )?${DEVICE}`,
    ],
    answer:
      "Devices are added by an administrator: switch the chat to Admin mode and send the device's name, address and the " +
      "maximum hourly consumption you want (kWh). Once it is assigned to you it appears under My devices, and its readings " +
      "show up in the chart as they arrive.",
  },
  {
    id: "over-consumption",
    topic: "over-consumption",
    whole: "over ?consumption",
    intents: [
      "over ?consumption",
      `(exceed|exceeded|exceeds|exceeding|exeeded|exceded|passed|crossed|broke|hit|reached) (the |my |its |his |their |our |this |that |a )?(hourly )?${LIMIT}`,
      `(went|gone|goes|go|going|was|is|are|were|been|be) (over|above|past|beyond) (the |my |its |their |our |this |that )?(hourly )?${LIMIT}`,
      `(over|above) (the |my |its |their )${LIMIT}`,
    ],
    answer:
      "An over-consumption alert means one device used more energy within one clock hour than its maximum hourly " +
      "consumption. You get one alert per device and hour, the moment the total first goes above the limit (a red window). " +
      "Open the chart for that day: the hours above the limit are red. Check which appliances ran then; if the limit is too " +
      "low for normal use, ask an administrator (Admin mode) to raise it.",
  },
  {
    id: "alerts-limits",
    topic: "alerts and limits",
    whole: `(my )?(alerts?|alarms?|aler?ts|alret|warnings?|${LIMIT}|alert history)`,
    intents: [
      `(got|get|getting|received|receive|receiving|have|had|keep getting|see|saw) (an |a |the |this |that |these |those |many |so many |lots of |too many |red |another )*(alerts?|alret|alarms?|warnings?|red (window|popup|pop up|modal))`,
      `(change|raise|increase|lower|decrease|set|adjust|modify|reduce|update|edit|higher|bigger) (the |my |a |its |our |this |device s |devices )?(hourly )?${LIMIT}`,
      `${LIMIT} (is |are )?(too )?(low|high|small|strict)`,
      "(alert|alarm) (history|list|log)",
      "(old|past|previous|earlier|missed) (alerts?|alarms?)",
      "acknowledge",
      "(stop|turn off|disable|mute|silence|switch off|get rid of) (the |these |those |all |my )*(alerts?|alarms?|notifications?|warnings?)",
      "(what|why) (is|are|does|do) (an |a |the |this |these |my )?(alerts?|alarms?)",
      "(what|where) (is|are|s) (my |the |a )?(hourly )?(limits?|thresholds?|max(imum)? hourly( consumption)?)",
      "max(imum)? hourly consumption",
    ],
    answer:
      "Every device has a maximum hourly consumption (kWh), shown under My devices and drawn as a line on the chart. " +
      "When a device's total for an hour goes above it you get an alert at once, and it stays in your alert history, where " +
      "you can acknowledge it — alerts that arrived while you were away are shown on your next visit. Only an administrator " +
      "can change a limit: ask in Admin mode.",
  },
  {
    id: "chart",
    topic: "consumption and the chart",
    whole: "(the |my )?(charts?|graphs?|consumption chart)",
    intents: [
      "(read|understand|interpret|use|zoom|navigate) (the |my |this |that |a )?(consumption )?(charts?|graphs?|diagram)",
      "(charts?|graphs?|bars?|diagram) (mean|means|show|shows|showing|display|displays)",
      "(what|how) (does|do|is|are) (the |my |this |that |these )?(consumption )?(charts?|graphs?|bars?|red bars?|colou?rs?|line|red hours?|diagram)",
      "red (bars?|hours?|columns?)",
      `(${HOW}) (see|view|find|check|look at|open|display) (my |the |a )?([\\p{L}\\p{N}]+ )?(consumption|usage|readings|chart|graph|energy use|data|history)`,
      `(${HOW}) (pick|choose|select|change|switch) (a |the |another )?(day|date)`,
      "(other|another|previous|past|different) (day|date)s? (in|on) the (chart|graph)",
    ],
    answer:
      "Pick a device under My devices (or All my devices for their total) and a period with Day, Week, Month or Year; " +
      "‹ and › move to the previous or next one. Day shows hourly bars in kWh with your limit as a line and hours above it in red; " +
      "week and month show days, year shows months, and clicking a bar opens it in detail. The total and the previous period are " +
      "shown above the chart, Export CSV downloads what you see, and today's bars grow live. Times are in your time zone.",
  },
  {
    id: "bill-cost",
    topic: "bill and cost",
    whole: "(my |the )?(bills?|billing|invoices?|costs?|prices?|tariffs?)",
    intents: [
      "(my|the|a|an|your|monthly|electricity|energy|next|last) (bills?|invoices?)",
      "billing",
      "(pay|paying|paid) (my |the |a |an )?(bills?|invoices?)",
      "(how much|what) (does|do|did|will|would|is) (it|this|that|my (consumption|usage|energy|electricity|power|use)|the (consumption|usage|energy|electricity)) (cost|costs|be in (money|euros?|dollars?))",
      "(what|how much) (is|are|was) (the |my )?(cost|costs|price) (of|for) (my|this|the) (consumption|usage|energy|electricity|power|use)",
      "(calculate|estimate|compute|work out|figure out) (the |my |our )?(costs?|price|bill|expenses?)",
      "(my|our|the) (tariff|kwh price|price per kwh|rate per kwh)",
      "(how much|what) (do|will|did|would) (i|we) (pay|be charged|owe)",
    ],
    answer:
      "EMS measures energy, it does not send bills: your supplier bills you. To estimate a cost, multiply the kWh shown in " +
      "the chart (or the day's total) by your tariff per kWh. To spend less, look for the red hours in the chart and the " +
      "alerts on your devices.",
  },
  {
    id: "login",
    topic: "login and password",
    whole: "(log ?in|log ?on|sign ?in|pass?w[oe]?rd|passowrd|password reset|reset password|forgot password|credentials|log ?out|sign ?out)",
    intents: [
      "(forgot|forgotten|forget|lost|reset|change|changing|recover|renew|update|new|wrong|incorrect) (my |the |a )?(pass?w[oe]?rd|passowrd|username|user name|login|credentials)",
      "(pass?w[oe]?rd|passowrd) (reset|expired|not working|doesnt work|does not work|is wrong|wrong|forgotten)",
      "locked out",
      "(cant|cannot|can not|unable to|could not|couldnt|not able to|problems?|trouble|issues?) (with )?(to )?(log ?in|loggin|log ?on|sign ?in|log into|sign into|logging in|signing in)",
      `(${HOW}) (log|sign) ?(in|on|out|into|off)`,
      "(log|sign) ?(in|out) (doesnt|does not|is not|isnt|wont|will not) work",
      "(login|log in|sign in|sign-in) (page|problems?|issues?|fails?|failed|error|not working)",
    ],
    answer:
      "Sign in on the Sign-in page with your username and password. After several failed attempts sign-in is paused for a " +
      "short while, so wait a minute before trying again. If you forgot your password, an administrator can set a new " +
      "one: switch to Admin mode and tell us your username. Never share your password, not even with us.",
  },
  {
    id: "registration",
    topic: "registration",
    whole: "(sign ?up|register|registration|new account)",
    intents: [
      "sign ?up",
      "(register|registration|regster|registartion)",
      "(create|creating|open|opening|make|making|get|set ?up) (an |a |my |a new |new |another )?(acc?ounts?|accout)",
      "new (acc?ounts?|accout)",
    ],
    answer:
      "Create an account with Sign up on the sign-in page: choose a username and password and enter your name, e-mail and " +
      "address. New accounts are client accounts; an administrator then assigns your devices to you.",
  },
  {
    id: "profile",
    topic: "profile",
    whole: "(my )?(profile|account settings|personal (data|details))",
    intents: [
      "(change|changing|update|updating|edit|correct|fix|modify|wrong|new|moved|move) (my |our |the )?(e ?mail|e ?mail address|address|home address|name|last name|first name|surname|profile|phone( number)?|personal (data|details|information))",
      "(delete|deleting|close|closing|remove|cancel|terminate) (my |our |the )?(acc?ount|profile)",
      "my profile",
      "personal (data|details|information)",
      "(where|how) (can|do) (i|we) (see|find|view) my (e ?mail|address|details|data)",
    ],
    answer:
      "Your profile holds your name, e-mail and address. An administrator can correct them or delete your account: send " +
      "the change in Admin mode.",
  },
  {
    id: "devices",
    topic: "devices",
    whole: `(my |the )?${DEVICE}( list)?`,
    intents: [
      `(list|show|see|view|find) (me )?(all )?(my|our) ${DEVICE}`,
      `(which|what|how many) ${DEVICE} (do|have|are|did|does) (i|we)`,
      `(where|how) (are|is|can i see|do i see|can i find|do i find) (all )?(my|our) ${DEVICE}`,
      `my ${DEVICE} (page|list|tab)`,
      `${DEVICE} (is |are |has |have )?(not|isnt|arent|stopped|offline|broken|dead|silent|missing|doesnt|does not|wont|no longer|not sending|sending no|shows nothing|showing nothing)`,
      `${DEVICE} (sends|shows|reports) (nothing|no (data|readings|values))`,
      `(no|missing) (data|readings|values) (from|for) (my|the|our) ${DEVICE}`,
      `(remove|delete|rename|move|transfer) (a |my |the |this |that |our )?${DEVICE}`,
    ],
    answer:
      "My devices lists every device assigned to you with its name, description, address and maximum hourly consumption. " +
      "Select one to see its consumption chart. Devices are created, assigned and changed by administrators: use Admin " +
      "mode to ask for a new device, a change, or to report a device that sends no readings.",
  },
  {
    id: "contact-admin",
    topic: "contacting an admin",
    whole: "(an? )?(admins?|administrators?|humans?|(a |real |actual )?person|operators?|agents?|support|customer (service|support)|help ?desk)",
    intents: [
      "(talk|speak|chat|write|get through) (to|with) (a |an |the |your |some |one of the |real |actual )*(humans?|persons?|people|admins?|administrators?|operators?|agents?|someone|somebody|support|staff|team|employee|manager)",
      "(real|actual|live) (humans?|persons?|people|agent|operator)",
      "(contact|reach|call|email|e mail|message) (a |an |the |your |some )*(admins?|administrators?|support|humans?|persons?|someone|somebody|operators?|agents?|you|staff|team)",
      "human (agent|support|operator|help|being)",
      "customer (service|support|care)",
      "help ?desk",
      `(${HOW}) (contact|reach|call|email|talk to|speak to)`,
      "(need|want|like|prefer) (to talk to |to speak to |to speak with |to talk with )?(a |an )?(humans?|persons?|admins?|administrators?|agent|operator)",
      "(not|stop) (a |talking to a |talking to the )?(bot|robot|machine)",
      "admin mode",
    ],
    answer:
      "To reach a person, switch the chat toggle from Bot to Admin mode and write your message. It goes to every " +
      "administrator and is kept, so you will see the answer here even if you close the page in the meantime.",
  },
  {
    id: "opening-hours",
    topic: "opening hours",
    whole: "(opening|office|business|support|working) hours",
    intents: [
      "(opening|office|business|support|working|service) hours",
      "(are|is) (you|the (admins?|administrators?|support|office|team|staff)|admins?|administrators?|support|someone|anyone|anybody|somebody) (guys )?(open|available|around|online|in|there|working|reachable)",
      "when (are|do|does|is|will) (you|the (admins?|administrators?|support|office|team|staff)|admins?|administrators?|support|someone|anyone|anybody|somebody) (open|answer|reply|respond|available|work|working|online|back|in|reachable)",
      "(what|which) (time|times|days|hours) (are|do|does|is) (you|the (admins?|administrators?|support|office|team)|admins?|administrators?|support) (open|answer|reply|respond|available|work|working|online)",
      "(open|available|working|answer|reply) (on |at |during |over )(the )?(weekends?|saturdays?|sundays?|holidays?|public holidays?|christmas|nights?|evenings?)",
    ],
    answer:
      "Administrators answer Monday to Friday, 09:00–17:00 (Central European Time). Messages sent in Admin mode outside " +
      "these hours are kept and answered on the next working day. This bot and the alerts work around the clock.",
  },
  {
    id: "greeting",
    topic: "greetings",
    // One or more greetings, maybe addressed ("hi there", "hello team") and with small talk ("how are you").
    whole:
      "((hi|hello|helo|hallo|hey|heya|hiya|howdy|greetings|yo|good (morning|afternoon|evening|day)|morning|evening)( (there|all|everyone|everybody|team|bot|ems|folks|guys|again))?( |$))+" +
      "(how are (you|u)( doing)?( today)?|how s it going|hows it going|how is it going|whats up|what s up|sup)?",
    answer:
      "Hello! I am the EMS assistant. Ask me about your devices, the consumption chart, alerts and limits, sign-in or your " +
      "account — or switch to Admin mode to write to a person.",
  },
  {
    id: "thanks",
    topic: "thanks",
    whole:
      "((ok|okay|ok then|great|perfect|awesome|cool|nice|excellent|super|wonderful|got it|understood|alright|all right|that helps|that helped|that was helpful|very helpful|helpful)( |$))*" +
      "(thanks?|thank (you|u)|thanx|thx|tnx|ty|tyvm|cheers|many thanks|much appreciated|appreciated|i appreciate it|appreciate it)" +
      "( (a lot|so much|very much|a million|a bunch|again|mate|buddy|bot|for (the |your |all the |that |this )?(help|helping|info|information|answer|reply|quick answer|explanation)|for that|for this))*",
    answer: "You're welcome! If anything else comes up, just ask here — or switch to Admin mode to reach a person.",
  },
  {
    id: "goodbye",
    topic: "goodbye",
    whole:
      "((ok|okay|thanks|thank you|thx|great|perfect|alright)( |$))*" +
      "(bye|bye bye|byebye|goodbye|good bye|see (you|ya|u)( later| soon| tomorrow)?|cya|later|take care|have a (nice|good|great) (day|evening|weekend|one)|good night)( (then|now|for now|and thanks|thanks|everyone|all))*",
    answer: "Goodbye! Your chat history is kept, so you can pick up here any time.",
  },
];

/**
 * Lower case (NFKC, so full-width and composed letters compare equal), apostrophes dropped, any other
 * run of non-letters/digits one space, a letter repeated three times or more kept once.
 */
export function normalize(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/['’‘`´]/gu, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .replace(/(\p{L})\1{2,}/gu, "$1")
    .trim();
}

interface CompiledRule {
  rule: BotRule;
  whole: RegExp | null;
  intent: RegExp | null;
}

/** Whole words: no letter or digit right before or after the phrase. */
const wholeWords = (source: string) => `(?<![\\p{L}\\p{N}])(?:${source})(?![\\p{L}\\p{N}])`;

function compile(rules: readonly BotRule[]): CompiledRule[] {
  return rules.map((rule) => ({
    rule,
    whole: rule.whole === undefined ? null : new RegExp(`^(?:${rule.whole})$`, "u"),
    intent: rule.intents?.length ? new RegExp(rule.intents.map(wholeWords).join("|"), "u") : null,
  }));
}

const compiledRules = compile(BOT_RULES);

/** The rule that answers `text`, or null (the question goes to the AI). */
export function matchRule(text: string): BotRule | null {
  const normalized = normalize(text);
  if (normalized === "") return null;
  const whole = compiledRules.find(({ whole }) => whole?.test(normalized));
  if (whole) return whole.rule;
  return compiledRules.find(({ intent }) => intent?.test(normalized))?.rule ?? null;
}

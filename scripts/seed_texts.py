"""What the seeded conversations say: a customer's request on a topic, the agent's answers, an internal note
or two, and a goodbye; placeholders filled with the customer's and agent's names, order numbers, dates."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

PRODUCTS = ["wireless headphones", "coffee machine", "running shoes", "smart watch", "office chair", "backpack",
            "phone case", "air fryer", "desk lamp", "winter jacket", "vacuum cleaner", "bluetooth speaker"]


@dataclass(frozen=True)
class Topic:
    name: str
    tags: tuple[str, ...]  # the tags such a conversation gets
    dispositions: tuple[str, ...]  # how such a conversation ends
    customer: tuple[str, ...]  # the opening, then follow-ups
    agent: tuple[str, ...]  # answers, in order
    notes: tuple[str, ...]


TOPICS = [
    Topic("order status", ("Support",), ("Resolved", "Information provided"),
          ("Hi, I ordered a {product} last week (order {order}) and it still hasn't arrived. Any news?",
           "The tracking page has said 'in transit' for four days now.",
           "Ok, I'll be at home on {date} if that helps.", "Great, thank you!"),
          ("Hello {first}, thanks for writing. Let me look up order {order} for you.",
           "I can see the parcel left our warehouse; the courier had a delay in your area.",
           "It is scheduled for delivery on {date}. You'll get a text from the courier that morning.",
           "You're welcome! Anything else I can help with?"),
          ("Courier confirmed the delay, new delivery date {date}.", "Customer was calm; no refund requested.")),
    Topic("refund", ("Billing", "Returns"), ("Refund issued", "Resolved", "Escalated"),
          ("Hello, I returned the {product} from order {order} two weeks ago but I haven't seen the refund yet.",
           "It was {amount} EUR, paid by card.", "Ok, how long does it take to show up?", "Perfect, thanks."),
          ("Hi {first}, I'm sorry for the wait. Let me check the return of order {order}.",
           "The return reached us; the refund of {amount} EUR was approved today.",
           "Card refunds usually show within 3-5 working days, so by {date} at the latest.",
           "Thanks for your patience, {first}. Have a good day!"),
          ("Return scanned on arrival but refund not triggered: pushed it manually.",
           "If the refund is not visible by {date}, escalate to billing.")),
    Topic("product question", ("Sales", "Prospect"), ("Sale", "Information provided"),
          ("Good morning, does the {product} come with a warranty?", "And can I pay in instalments?",
           "Sounds good, I'll order it today.", "Thanks a lot!"),
          ("Good morning {first}! Yes, the {product} has a two-year warranty.",
           "You can pay in three instalments with no fees at checkout.",
           "Great choice. Here is a 10% code for your first order: WELCOME10.",
           "My pleasure, enjoy your {product}!"),
          ("Interested in instalments; sent the WELCOME10 code.", "Likely to buy this week.")),
    Topic("complaint", ("Complaint",), ("Escalated", "Follow-up needed", "Resolved"),
          ("The {product} I received is broken. This is the second time!", "I want a replacement, not a voucher.",
           "Fine, but I expect it by {date}.", "Ok."),
          ("I'm really sorry, {first}. That should not happen twice.",
           "I've arranged a replacement {product}; the courier will pick up the broken one at the same time.",
           "It is booked for {date}. I've also added a 15 EUR credit to your account for the trouble.",
           "Thank you for bearing with us, {first}."),
          ("Second faulty unit for this customer: flagged to quality team.",
           "Offered credit of 15 EUR, accepted. Follow up after {date}.")),
    Topic("appointment", ("Support",), ("Resolved", "Follow-up needed"),
          ("Hi, I need to move my installation appointment for the {product}.",
           "Would {date} in the afternoon work?", "Perfect. See you then.", "Thank you!"),
          ("Hi {first}, of course. Which day suits you better?",
           "Let me check the calendar... yes, {date} between 14:00 and 16:00 is free.",
           "Done: you're booked for {date}, 14:00-16:00. You'll receive a reminder the day before.",
           "Have a nice day, {first}!"),
          ("Rescheduled from the original slot at the customer's request.",)),
    Topic("billing", ("Billing",), ("Resolved", "Information provided"),
          ("Hello, I was charged twice for order {order}.", "Yes, both charges are {amount} EUR on the same day.",
           "Thanks, that's a relief.", "Bye!"),
          ("Hello {first}, I'm sorry about that. Let me check the payments for order {order}.",
           "I see it: the second charge is a pre-authorisation that will drop off by {date}.",
           "If it's still there after {date}, write to us here and we'll refund it straight away.",
           "You're welcome, {first}. Take care!"),
          ("Double charge is a pending pre-auth, not a capture.",)),
]
SMALL_TALK_IN = ["Ok", "I see", "Thanks", "Sure", "Alright, go ahead", "Let me check and get back to you"]
SMALL_TALK_OUT = ["One moment please, I'm checking.", "Thanks for the details.",
                  "I'm still here, it takes a minute.", "Could you confirm your postcode, please?"]


@dataclass(frozen=True)
class Line:
    direction: str  # in | out | note
    text: str


def conversation(rng: random.Random, topic: Topic, messages: int, first_name: str, agent_name: str,
                 day: date) -> list[Line]:
    """`messages` lines (at least two): the customer opens, the agent answers, both alternate and each ends
    with its script's last line; about one line in six is an internal note by the agent (never the first
    or the last)."""
    values = {"first": first_name or "there", "agent": agent_name, "product": rng.choice(PRODUCTS),
              "order": f"#{rng.randrange(100000, 999999)}",
              "amount": f"{rng.randrange(15, 400)}.{rng.randrange(100):02d}",
              "date": (day + timedelta(days=rng.randrange(1, 8))).strftime("%d %B")}
    count = max(2, messages)
    directions: list[str] = []
    speaker = "in"
    for k in range(count):
        if 0 < k < count - 1 and directions[-1] != "note" and rng.random() < 1 / 6:
            directions.append("note")
            continue
        directions.append(speaker)
        speaker = "out" if speaker == "in" else "in"
    totals = {d: directions.count(d) for d in ("in", "out")}
    turns = {"in": 0, "out": 0}
    lines = []
    first_note = rng.randrange(len(topic.notes))
    for direction in directions:
        if direction == "note":  # the topic's notes in turn, from a random one
            note = topic.notes[(first_note + sum(line.direction == "note" for line in lines)) % len(topic.notes)]
            lines.append(Line("note", note.format(**values)))
            continue
        script = topic.customer if direction == "in" else topic.agent
        turn = turns[direction]
        turns[direction] += 1
        if turn == totals[direction] - 1 and turn > 0:
            text = script[-1]  # the goodbye
        elif turn < len(script) - 1:
            text = script[turn]
        else:
            text = rng.choice(SMALL_TALK_IN if direction == "in" else SMALL_TALK_OUT)
        lines.append(Line(direction, text.format(**values)))
    return lines

"""A shared work calendar with scheduling rules: working hours, no double booking, room capacity.

The world: 4-6 people, each with working hours and a week (Mon-Fri) of events on 15-minute
boundaries (one-person focus blocks and meetings of 2-4 people, some in a room), and 3-4 rooms
of different capacities. The agent acts for one person, named in the task. Tasks: what is on a
calendar at a time, how many events a day holds, when an event starts or ends (1 call); the
earliest common free slot of two people, whether a person is free, booked minutes, the smallest
room for a group; booking a meeting for three at the earliest time with the smallest free room
(falling back slot by slot, room by room), booking a fixed time that may double-book someone (a
trap), cancelling an event that may be someone else's (a trap); booking at a fixed time after
moving the user's own clashing meeting out of the way (a clash with someone else's: refuse),
cancelling every afternoon meeting the user organises.
"""

from __future__ import annotations

import random
import re
from typing import Annotated

from pydantic import Field

from synthcompile.compilers.simulation.env import Answer, Call, Environment, Policy, Task
from synthcompile.compilers.simulation.tools import ToolFailure, tool

PEOPLE = ("Ana", "Bo", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jade")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")))
HOURS = ((450, 930), (480, 960), (510, 1020), (540, 1020), (540, 1050), (600, 1080))  # minutes from midnight
ROOMS = ("Oak", "Birch", "Cedar", "Maple", "Pine", "Willow")
MEETINGS = ("Design review", "Budget sync", "Hiring panel", "Roadmap", "Customer call", "Retro", "Planning",
            "Interview", "Vendor demo", "Ops review", "Standup", "One-on-one", "Lunch and learn", "Offsite prep")
SOLO = ("Focus time", "Admin", "Deep work", "Reading")
NEW_TITLES = ("Kickoff", "Launch review", "Quarterly check-in", "Incident review", "Partner call", "Strategy session")
HOLDS = (("Sales team", "Sales workshop"), ("Facilities", "Maintenance"), ("HR", "Training"),
         ("Board office", "Board prep"))
NOON = 720

Person = Annotated[str, Field(description="a person's name, e.g. Ana")]
Day = Annotated[str, Field(description="Mon, Tue, Wed, Thu or Fri")]
Time = Annotated[str, Field(description="HH:MM on a 15-minute boundary, e.g. 09:30")]
EventId = Annotated[str, Field(description="an event id, e.g. EV-214")]
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def _hm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: object) -> int | None:
    """HH:MM as minutes from midnight, or None unless it is a time on a 15-minute boundary."""
    m = _TIME.fullmatch(text) if isinstance(text, str) else None
    if m is None or int(m.group(2)) % 15:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class Calendar(Environment):
    name = "calendar"
    description = ("You are a scheduling assistant acting for one person on a team's shared calendar (Mon-Fri, "
                   "times HH:MM on 15-minute boundaries). Answer the request, then end with a line "
                   "'Answer: <result>'.")
    policy = ("1. Act for the person you serve: create events with them as the organiser, and move or cancel "
              "only events they organise.\n"
              "2. Never double-book: a new or moved event must not overlap another event of any of its "
              "attendees, or another booking of its room.\n"
              "3. An event must lie within the working hours of every attendee.\n"
              "4. A room's capacity must be at least the number of attendees.\n"
              "A request that would break a rule must not be carried out: decline it and answer 'refused'.")

    def setup(self) -> None:
        r = self.rng
        self.people: dict[str, list[int]] = {p: list(r.choice(HOURS)) for p in r.sample(PEOPLE, r.randint(4, 6))}
        caps = sorted(r.sample((2, 4, 6, 8, 10, 12), r.randint(3, 4)))
        self.rooms: dict[str, int] = dict(zip(r.sample(ROOMS, len(caps)), caps))
        self.events: dict[str, dict] = {}
        self.next_event = r.randint(10, 60) * 10
        names = list(self.people)
        for day in DAYS:
            placed: list[tuple[int, int, set, str | None]] = []  # the day so far, checked locally: setup is hot
            for _ in range(r.randint(1, 3)):  # other teams hold rooms too: a free room is not a given
                room, (team, title) = r.choice([*self.rooms][:2] + [*self.rooms]), r.choice(HOLDS)
                start, length = r.randrange(480, 960, 30), r.choice((60, 90, 120, 180))
                if not any(rm == room and s < start + length and start < e for s, e, _, rm in placed):
                    placed.append((start, start + length, set(), room))
                    self._add(title, day, start, start + length, team, [], room)
            for _ in range(r.randint(6, 10)):
                if r.random() < 0.3:
                    who, title, room = [r.choice(names)], r.choice(SOLO), None
                else:
                    who = r.sample(names, r.choice((2, 2, 3, 3, 4)))
                    fits = [room for room, cap in self.rooms.items() if cap >= len(who)]
                    title, room = r.choice(MEETINGS), (r.choice([fits[0], *fits]) if r.random() < 0.6 else None)
                length = r.choice((30, 45, 60, 60, 90))
                lo, hi = max(self.people[p][0] for p in who), min(self.people[p][1] for p in who)
                if hi - lo < length:
                    continue
                start = r.randrange(lo, hi - length + 1, 30)
                end = start + length
                if not any(s < end and start < e and (room is not None and room == rm or not people.isdisjoint(who))
                           for s, e, people, rm in placed):
                    placed.append((start, end, set(who), room))
                    self._add(title, day, start, end, r.choice(who), who, room)

    def _add(self, title: str, day: str, start: int, end: int, organiser: str, attendees: list[str],
             room: str | None) -> str:
        self.next_event += 1
        event = f"EV-{self.next_event}"
        self.events[event] = {"title": title, "day": day, "start": start, "end": end, "organiser": organiser,
                              "attendees": sorted(attendees), "room": room}
        return event

    # ---- the rules, shared by the tools, the policy check and the task sampler ------------------

    def _busy(self, person: str, day: str, skip: str | None = None) -> list[tuple[int, int, str]]:
        return sorted((e["start"], e["end"], i) for i, e in self.events.items()
                      if e["day"] == day and person in e["attendees"] and i != skip)

    def _bookings(self, room: str, day: str, skip: str | None = None) -> list[tuple[int, int, str]]:
        return sorted((e["start"], e["end"], i) for i, e in self.events.items()
                      if e["day"] == day and e["room"] == room and i != skip)

    def _problems(self, attendees: list[str], day: str, start: int, end: int, room: str | None,
                  skip: str | None = None) -> list[str]:
        """What rules 2-4 an event at this place and time would break (``skip``: the event being moved)."""
        out = []
        for p in attendees:
            lo, hi = self.people[p]
            if start < lo or end > hi:
                out.append(f"{start}-{end} is outside {p}'s working hours {_hm(lo)}-{_hm(hi)} (rule 3)")
            for s, e, i in self._busy(p, day, skip):
                if s < end and start < e:
                    out.append(f"{p} is already in {i} {_hm(s)}-{_hm(e)} (rule 2)")
        if room is not None:
            if self.rooms[room] < len(attendees):
                out.append(f"{room} seats {self.rooms[room]}, fewer than {len(attendees)} attendees (rule 4)")
            for s, e, i in self._bookings(room, day, skip):
                if s < end and start < e:
                    out.append(f"{room} is booked by {i} {_hm(s)}-{_hm(e)} (rule 2)")
        return out

    def _free(self, people: list[str], day: str, length: int) -> list[tuple[int, int]]:
        """The windows of at least ``length`` minutes when all of ``people`` work and are free."""
        lo, hi = max(self.people[p][0] for p in people), min(self.people[p][1] for p in people)
        busy = sorted(b for p in people for b in self._busy(p, day))
        out, cur = [], lo
        for s, e, _ in busy:
            if s > cur:
                out.append((cur, min(s, hi)))
            cur = max(cur, e)
        out.append((cur, hi))
        return [(s, e) for s, e in out if e - s >= length]

    def _view(self, event_id: str) -> dict:
        e = self.events[event_id]
        return {"event_id": event_id, "title": e["title"], "day": e["day"], "start": _hm(e["start"]),
                "end": _hm(e["end"]), "organiser": e["organiser"], "attendees": e["attendees"], "room": e["room"]}

    def _person(self, person: str) -> None:
        if person not in self.people:
            raise ToolFailure(f"no such person: {person} (people: {', '.join(sorted(self.people))})")

    def _day(self, day: str) -> None:
        if day not in DAYS:
            raise ToolFailure(f"no such day: {day!r} (one of {', '.join(DAYS)})")

    def _event(self, event_id: str) -> dict:
        if event_id not in self.events:
            raise ToolFailure(f"no such event: {event_id}")
        return self.events[event_id]

    def _time(self, text: str) -> int:
        if (m := _minutes(text)) is None:
            raise ToolFailure(f"invalid time {text!r}: HH:MM on a 15-minute boundary")
        return m

    def _room(self, room: str) -> None:
        if room not in self.rooms:
            raise ToolFailure(f"no such room: {room} (rooms: {', '.join(sorted(self.rooms))})")

    # ---- tools ---------------------------------------------------------------------------------

    @tool("read")
    def list_people(self) -> dict:
        """Everyone on the calendar, with their working hours."""
        return {"people": [{"name": p, "working_hours": f"{_hm(lo)}-{_hm(hi)}"}
                           for p, (lo, hi) in sorted(self.people.items())]}

    @tool("read")
    def list_events(self, person: Person, day: Day) -> dict:
        """A person's events on one day, in time order, with their working hours."""
        self._person(person)
        self._day(day)
        lo, hi = self.people[person]
        return {"person": person, "day": day, "working_hours": f"{_hm(lo)}-{_hm(hi)}",
                "events": [self._view(i) for _, _, i in self._busy(person, day)]}

    @tool("read")
    def get_event(self, event_id: EventId) -> dict:
        """One event: title, day, time, organiser, attendees and room."""
        self._event(event_id)
        return self._view(event_id)

    @tool("read")
    def find_free_slots(self, people: Annotated[list[str], Field(description="names, e.g. [\"Ana\", \"Bo\"]")],
                        day: Day, duration_minutes: Annotated[int, Field(ge=15, le=480)]) -> dict:
        """The windows on a day when all the people are working and free, at least as long as the duration."""
        if not people:
            raise ToolFailure("people is empty")
        for p in people:
            self._person(p)
        self._day(day)
        slots = self._free(sorted(set(people)), day, duration_minutes)
        return {"day": day, "people": people, "slots": [{"start": _hm(s), "end": _hm(e)} for s, e in slots]}

    @tool("read")
    def list_rooms(self, min_capacity: Annotated[int, Field(ge=1, description="seats needed")] = 1) -> dict:
        """Rooms with at least this many seats, smallest first."""
        rooms = sorted((cap, room) for room, cap in self.rooms.items() if cap >= min_capacity)
        return {"rooms": [{"room": room, "capacity": cap} for cap, room in rooms]}

    @tool("read")
    def room_schedule(self, room: Annotated[str, Field(description="a room's name")], day: Day) -> dict:
        """A room's capacity and its bookings on one day."""
        self._room(room)
        self._day(day)
        return {"room": room, "capacity": self.rooms[room], "day": day,
                "bookings": [{"event_id": i, "start": _hm(s), "end": _hm(e)} for s, e, i in self._bookings(room, day)]}

    @tool("write")
    def create_event(self, title: Annotated[str, Field(min_length=1)], day: Day, start: Time, end: Time,
                     attendees: Annotated[list[str], Field(min_length=1)], organiser: Person,
                     room: Annotated[str, Field(description="a room's name, or empty for none")] = "") -> dict:
        """Create an event (the organiser is the person you act for)."""
        self._day(day)
        s, e = self._time(start), self._time(end)
        if e <= s:
            raise ToolFailure(f"end {end} is not after start {start}")
        for p in [*attendees, organiser]:
            self._person(p)
        if room:
            self._room(room)
            self._room_free(room, day, s, e, len(set(attendees)))
        event = self._add(title, day, s, e, organiser, sorted(set(attendees)), room or None)
        return {"created": self._view(event)}

    def _room_free(self, room: str, day: str, start: int, end: int, people: int, skip: str | None = None) -> None:
        """The room system's own checks: it refuses a double booking and a room too small."""
        if self.rooms[room] < people:
            raise ToolFailure(f"{room} seats {self.rooms[room]}, not {people}")
        for s, e, i in self._bookings(room, day, skip):
            if s < end and start < e:
                raise ToolFailure(f"{room} is booked {_hm(s)}-{_hm(e)} ({i})")

    @tool("write")
    def move_event(self, event_id: EventId, day: Day, start: Time) -> dict:
        """Move an event to a new day and start time, keeping its length, attendees and room."""
        ev = self._event(event_id)
        self._day(day)
        s = self._time(start)
        e = s + ev["end"] - ev["start"]
        if e > 24 * 60:
            raise ToolFailure("the event would run past midnight")
        if ev["room"]:
            self._room_free(ev["room"], day, s, e, len(ev["attendees"]), skip=event_id)
        ev.update(day=day, start=s, end=e)
        return {"moved": self._view(event_id)}

    @tool("write")
    def cancel_event(self, event_id: EventId) -> dict:
        """Cancel (delete) an event."""
        self._event(event_id)
        view = self._view(event_id)
        del self.events[event_id]
        return {"cancelled": view}

    # ---- policy --------------------------------------------------------------------------------

    def check_policy(self, task, history, name, arguments):
        user = task.params["user"]
        if name == "create_event":
            if arguments["organiser"] != user:
                return f"create_event with organiser {arguments['organiser']}, not {user} (rule 1)"
            day, s, e = arguments["day"], _minutes(arguments["start"]), _minutes(arguments["end"])
            people = sorted(set(arguments["attendees"]))
            room = arguments.get("room") or None
            if day not in DAYS or s is None or e is None or e <= s or not set(people) <= set(self.people) \
                    or (room is not None and room not in self.rooms):
                return None  # the tool refuses it
            problems = self._problems(people, day, s, e, room)
            return f"create_event: {problems[0]}" if problems else None
        if name in ("move_event", "cancel_event") and arguments["event_id"] in self.events:
            ev = self.events[arguments["event_id"]]
            if ev["organiser"] != user:
                return f"{name} on {arguments['event_id']}, organised by {ev['organiser']}, not {user} (rule 1)"
            if name == "move_event" and arguments["day"] in DAYS and (s := _minutes(arguments["start"])) is not None:
                problems = self._problems(ev["attendees"], arguments["day"], s, s + ev["end"] - ev["start"],
                                          ev["room"], skip=arguments["event_id"])
                return f"move_event: {problems[0]}" if problems else None
        return None

    def forbidden_call(self, task):
        user = task.params["user"]
        theirs = sorted(i for i, e in self.events.items() if e["organiser"] != user)
        if "cancel_event" in task.tools and theirs:
            return "cancel_event", {"event_id": theirs[0]}
        return "create_event", {"title": "Early sync", "day": "Mon", "start": "06:00", "end": "06:30",
                                "attendees": [user], "organiser": user}

    # ---- tasks ---------------------------------------------------------------------------------

    def sample_task(self, rng: random.Random, level: int) -> Task:
        kinds = {1: ["whats_on", "count_events", "event_time", "booked_minutes"],
                 2: ["common_slot", "both_free", "busier", "smallest_room"],
                 3: ["schedule", "book_fixed", "cancel"],
                 4: ["reschedule_book", "reschedule_book", "clear_afternoon"]}[level]
        kind, (user, text, params, needed, answer, trap) = self.pose(rng, kinds)
        hello = rng.choice([f"I'm {user}. ", f"Hi, it's {user}. ", f"(Acting for {user}) ", f"{user} here. "])
        distractors = {1: 0, 2: 1, 3: 3, 4: 4}[level]
        return Task(self.name, self.world, level, kind, hello + text, {"user": user, **params}, answer,
                    self.offered(needed, rng, distractors), trap=trap)

    def _grid(self, lo: int, hi: int, step: int = 15) -> list[int]:
        return list(range(lo, hi + 1, step))

    def _task_whats_on(self, rng):
        user, day = rng.choice(sorted(self.people)), rng.choice(DAYS)
        person = rng.choice(sorted(self.people))
        busy = self._busy(person, day)
        lo, hi = self.people[person]
        if busy and rng.random() < 0.6:
            s, e, i = rng.choice(busy)
            at = rng.choice(self._grid(s, e - 15))
        else:
            at = rng.choice(self._grid(lo, hi - 15))
        hit = next((i for s, e, i in busy if s <= at < e), None)
        whose, doing = ("my", "am I") if person == user else (f"{person}'s", f"is {person}")
        text = rng.choice([f"What's on {whose} calendar on {DAY_NAMES[day]} at {_hm(at)}? Give the event's title, "
                           "or 'nothing'.",
                           f"What {doing} doing at {_hm(at)} on {DAY_NAMES[day]}? Answer with the event's title, "
                           "or 'nothing' if the time is free."])
        answer = self.events[hit]["title"] if hit else "nothing"
        return user, text, {"person": person, "day": day, "at": at}, ["list_events"], answer, False

    def _task_count_events(self, rng):
        user, day, person = rng.choice(sorted(self.people)), rng.choice(DAYS), rng.choice(sorted(self.people))
        who = "do I" if person == user else f"does {person}"
        text = rng.choice([f"How many events {who} have on {DAY_NAMES[day]}?",
                           f"Count the entries on {'my' if person == user else person + chr(39) + 's'} calendar "
                           f"for {DAY_NAMES[day]}."])
        return (user, text, {"person": person, "day": day}, ["list_events"], str(len(self._busy(person, day))),
                False)

    def _task_event_time(self, rng):
        user = rng.choice(sorted(self.people))
        mine = sorted(i for i, e in self.events.items() if user in e["attendees"])
        if not mine:
            return None
        event, which = rng.choice(mine), rng.choice(["start", "end"])
        e = self.events[event]
        text = rng.choice([f"What time does {event} ({e['title']}) {which}?",
                           f"When does my {e['title']} ({event}) {which}? Just the time, please."])
        return user, text, {"event": event, "which": which}, ["get_event"], _hm(e[which]), False

    def _task_common_slot(self, rng):
        user, day, length = rng.choice(sorted(self.people)), rng.choice(DAYS), rng.choice((30, 45, 60, 90, 120))
        theirs = sorted(i for i, e in self.events.items() if e["organiser"] != user and e["organiser"] in self.people)
        params: dict = {"day": day, "length": length, "via": None}
        if theirs and rng.random() < 0.5:
            event = rng.choice(theirs)
            params.update(via=event, people=[user, self.events[event]["organiser"]])
            text = rng.choice([f"When is the earliest I could meet the organiser of {event} "
                               f"('{self.events[event]['title']}') on {DAY_NAMES[day]} for {length} minutes? Answer "
                               "with the start time, or 'none'.",
                               f"I'd like {length} minutes with whoever organises {event} on {DAY_NAMES[day]}. What's "
                               "the first start time that works for both of us (or 'none')?"])
        else:
            a, b = rng.sample(sorted(self.people), 2)
            params["people"] = [a, b]
            pair = f"{b if a == user else a} and {'me' if user in (a, b) else b}"
            text = rng.choice([f"What's the earliest time on {DAY_NAMES[day]} when {pair} could meet for {length} "
                               "minutes? Answer with the start time, or 'none'.",
                               f"Find the first {length}-minute window on {DAY_NAMES[day]} that works for both {pair}; "
                               "tell me when it starts (or 'none')."])
        slots = self._free(params["people"], day, length)
        return (user, text, params, ["get_event", "find_free_slots"], _hm(slots[0][0]) if slots else "none", False)

    def _task_both_free(self, rng):
        want = rng.random() < 0.5
        for _ in range(50):
            user, day = rng.choice(sorted(self.people)), rng.choice(DAYS)
            a, b = rng.sample(sorted(self.people), 2)
            lo, hi = max(self.people[a][0], self.people[b][0]), min(self.people[a][1], self.people[b][1])
            length = rng.choice((30, 60))
            if hi - lo < length + 60:
                continue
            start = rng.choice(self._grid(lo - 30, hi - length + 30, 30))
            if (not self._problems([a, b], day, start, start + length, None)) == want:
                break
        else:
            return None
        pair = f"{b if a == user else a} and {'I' if user in (a, b) else b}"
        text = rng.choice([f"Are {pair} both free on {DAY_NAMES[day]} from {_hm(start)} to {_hm(start + length)} "
                           "(within working hours, nothing booked)? Yes or no.",
                           f"Could {pair} meet on {DAY_NAMES[day]}, {_hm(start)}-{_hm(start + length)}, without a "
                           "clash and within both our working hours? Answer yes or no."])
        if user not in (a, b):
            text = text.replace("both our", "their")
        return (user, text, {"people": [a, b], "day": day, "start": start, "end": start + length}, ["list_events"],
                "yes" if want else "no", False)

    def _task_booked_minutes(self, rng):
        user, person, day = rng.choice(sorted(self.people)), rng.choice(sorted(self.people)), rng.choice(DAYS)
        total = sum(e - s for s, e, _ in self._busy(person, day))
        whose = "my" if person == user else f"{person}'s"
        text = rng.choice([f"How many minutes of {whose} {DAY_NAMES[day]} are booked with events?",
                           f"Add up the length of every event on {whose} calendar on {DAY_NAMES[day]}: how many "
                           "minutes is that?"])
        return user, text, {"person": person, "day": day}, ["list_events"], str(total), False

    def _task_busier(self, rng):
        for _ in range(30):
            user, day = rng.choice(sorted(self.people)), rng.choice(DAYS)
            a, b = rng.sample(sorted(self.people), 2)
            ta, tb = (sum(e - s for s, e, _ in self._busy(p, day)) for p in (a, b))
            if ta != tb:
                break
        else:
            return None
        text = rng.choice([f"Who has more time booked on {DAY_NAMES[day]}, {a} or {b}? Answer with the name.",
                           f"On {DAY_NAMES[day]}, whose calendar is fuller (more minutes of events): {a}'s or {b}'s?"])
        return user, text, {"people": [a, b], "day": day}, ["list_events"], a if ta > tb else b, False

    def _task_smallest_room(self, rng):
        user = rng.choice(sorted(self.people))
        groups = sorted(i for i, e in self.events.items() if len(e["attendees"]) > 1)
        params: dict = {"via": None}
        if groups and rng.random() < 0.5:
            event = rng.choice(groups)
            n = len(self.events[event]["attendees"])
            params["via"] = event
            text = rng.choice([f"Which is the smallest room that would seat everyone invited to {event}?",
                               f"{event} ('{self.events[event]['title']}') needs a room: which is the smallest "
                               "that fits all its attendees?"])
        else:
            n = rng.randint(2, max(self.rooms.values()))
            text = rng.choice([f"Which is the smallest room that seats {n} people?",
                               f"I need a room for {n}. Which is the smallest one that fits?"])
        params["people"] = n
        fits = sorted((cap, room) for room, cap in self.rooms.items() if cap >= n)
        return user, text, params, ["get_event", "list_rooms"], fits[0][1], False

    def _plan_schedule(self, people: list[str], day: str, length: int, after: int) -> tuple[int, str] | None:
        """The earliest start from ``after`` when everyone is free, with the smallest free room that seats them."""
        rooms = sorted((cap, room) for room, cap in self.rooms.items() if cap >= len(people))
        for ws, we in self._free(people, day, length):
            for s in self._grid(max(ws, after), we - length):
                for _, room in rooms:
                    if not self._problems(people, day, s, s + length, room):
                        return s, room
        return None

    def _task_schedule(self, rng):
        fallback = rng.random() < 0.6  # most tasks should need a second room or a later slot
        found = None
        for _ in range(40):
            user = rng.choice(sorted(self.people))
            a, b = rng.sample(sorted(p for p in self.people if p != user), 2)
            day, length = rng.choice(DAYS), rng.choice((30, 45, 60, 90))
            after = rng.choice((0, 0, 600, 690, 780, 840))
            plan = self._plan_schedule([user, a, b], day, length, after)
            if plan is None:
                continue
            found = user, a, b, day, length, after, plan
            first = next(max(ws, after) for ws, we in self._free([user, a, b], day, length)
                         if we - max(ws, after) >= length)
            smallest = min((cap, room) for room, cap in self.rooms.items() if cap >= 3)[1]
            if (plan != (first, smallest)) == fallback:
                break
        if found is None:
            return None
        user, a, b, day, length, after, plan = found
        title = rng.choice(NEW_TITLES)
        when = f", no earlier than {_hm(after)}," if after else ""
        text = rng.choice([f"Set up a {length}-minute '{title}' with {a} and {b} on {DAY_NAMES[day]}{when} at the "
                           "earliest time all three of us are free, in the smallest room that seats us and is free "
                           "then. What time did you book it for?",
                           f"Please book '{title}' ({length} minutes) for me, {a} and {b} on {DAY_NAMES[day]}{when} at "
                           "the first time everyone is free, in the smallest available room that fits three. Tell me "
                           "the start time."])
        s, room = plan
        params = {"people": [user, a, b], "day": day, "length": length, "after": after, "title": title,
                  "ops": [["create", title, day, s, s + length, sorted([user, a, b]), room]]}
        return (user, text, params, ["find_free_slots", "list_rooms", "room_schedule", "create_event"], _hm(s),
                False)

    def _task_book_fixed(self, rng):
        want_ok = rng.random() < 0.5
        rooms = sorted(self.rooms)
        for _ in range(200):
            user = rng.choice(sorted(self.people))
            a, b = rng.sample(sorted(p for p in self.people if p != user), 2)
            day, length, room = rng.choice(DAYS), rng.choice((30, 60, 90)), rng.choice(rooms)
            lo, hi = self.people[user]
            s = rng.choice(self._grid(lo - 30, hi - length + 30, 30))
            if (not self._problems([user, a, b], day, s, s + length, room)) == want_ok:
                break
        else:
            return None
        title = rng.choice(NEW_TITLES)
        text = rng.choice([f"Book '{title}' on {DAY_NAMES[day]} from {_hm(s)} to {_hm(s + length)} with {a} and {b}, "
                           f"in {room}.",
                           f"Put a meeting '{title}' in the calendar for {a}, {b} and me: {DAY_NAMES[day]} "
                           f"{_hm(s)}-{_hm(s + length)}, room {room}."])
        params = {"people": [user, a, b], "day": day, "start": s, "end": s + length, "room": room, "title": title,
                  "ops": [["create", title, day, s, s + length, sorted([user, a, b]), room]] if want_ok else []}
        return (user, text, params, ["list_events", "room_schedule", "create_event"],
                "done" if want_ok else "refused", not want_ok)

    def _task_cancel(self, rng):
        user = rng.choice(sorted(self.people))
        mine = sorted(i for i, e in self.events.items() if user in e["attendees"])
        own = [i for i in mine if self.events[i]["organiser"] == user]
        theirs = [i for i in mine if i not in own]
        pool = own if own and (not theirs or rng.random() < 0.5) else theirs
        if not pool:
            return None
        event = rng.choice(pool)
        e = self.events[event]
        text = rng.choice([f"Please cancel {event} ('{e['title']}', {DAY_NAMES[e['day']]} at {_hm(e['start'])}).",
                           f"I can't make {e['title']} on {DAY_NAMES[e['day']]} ({event}); cancel it, please."])
        ok = e["organiser"] == user
        return (user, text, {"event": event, "ops": [["cancel", event]] if ok else []},
                ["get_event", "cancel_event"], "done" if ok else "refused", not ok)

    def _clashes(self, people: list[str], day: str, start: int, end: int) -> list[str]:
        return sorted({i for p in people for s, e, i in self._busy(p, day) if s < end and start < e})

    def _plan_reschedule(self, people, day, start, end) -> tuple[list, str | None]:
        """What the expert does: the ops (moves, then the booking) and the room, or ([], None) to refuse."""
        sim = type(self)(self.world)
        clashes = sim._clashes(people, day, start, end)
        if any(sim.events[i]["organiser"] != people[0] for i in clashes):
            return [], None
        rooms = sorted((cap, room) for room, cap in sim.rooms.items() if cap >= len(people))
        room = next((r for _, r in rooms if not any(s < end and start < e for s, e, _ in sim._bookings(r, day))), None)
        if room is None:
            return [], None
        ops = []
        for i in clashes:
            to = sim._move_target(i, start, end)
            if to is None:
                return [], None
            sim.events[i].update(start=to, end=to + sim.events[i]["end"] - sim.events[i]["start"])
            ops.append(["move", i, day, to])
        ops.append(["create", None, day, start, end, sorted(people), room])
        return ops, room

    def _move_target(self, event_id: str, start: int, end: int) -> int | None:
        """The earliest start the same day when the event's attendees (and its room) are free, clear of
        ``start``-``end`` (the meeting that displaces it)."""
        ev = self.events[event_id]
        length = ev["end"] - ev["start"]
        room = self._bookings(ev["room"], ev["day"], skip=event_id) if ev["room"] else []
        for ws, we in self._free(ev["attendees"], ev["day"], length):
            for s in self._grid(ws, we - length):
                if not (s < end and start < s + length) and not any(b0 < s + length and s < b1 for b0, b1, _ in room):
                    return s
        return None

    def _task_reschedule_book(self, rng):
        want = rng.choices(["clear", "own", "other"], [1, 2, 1])[0]
        for _ in range(300):
            user = rng.choice(sorted(self.people))
            a, b = rng.sample(sorted(p for p in self.people if p != user), 2)
            people = [user, a, b]
            day, length = rng.choice(DAYS), rng.choice((30, 60, 90))
            lo, hi = max(self.people[p][0] for p in people), min(self.people[p][1] for p in people)
            if hi - lo < length:
                continue
            s = rng.choice(self._grid(lo, hi - length, 30))
            clashes = self._clashes(people, day, s, s + length)
            own = all(self.events[i]["organiser"] == user for i in clashes)
            got = "clear" if not clashes else ("own" if own and len(clashes) == 1 else "other" if not own else "")
            if got == want:
                break
        else:
            return None
        ops, room = self._plan_reschedule(people, day, s, s + length)
        title = rng.choice(NEW_TITLES)
        for op in ops:
            if op[0] == "create":
                op[1] = title
        text = (rng.choice([f"I need a {length}-minute '{title}' with {a} and {b} on {DAY_NAMES[day]} at {_hm(s)}, ",
                            f"Book '{title}' for {a}, {b} and me on {DAY_NAMES[day]}, {_hm(s)}-{_hm(s + length)}, "])
                + "in the smallest room that seats us and is free then. If one of my own meetings is in the way, "
                  "move it to the earliest time that day when its attendees (and its room) are free, clear of the "
                  "new meeting; if anyone else's meeting is in the way, don't book. Which room did you book?")
        params = {"people": people, "day": day, "start": s, "end": s + length, "title": title, "ops": ops}
        return (user, text, params, ["list_events", "list_rooms", "room_schedule", "find_free_slots", "move_event",
                                     "create_event"], room or "refused", room is None)

    def _task_clear_afternoon(self, rng):
        want_own = rng.random() < 0.7
        found = None
        for _ in range(30):
            user, day = rng.choice(sorted(self.people)), rng.choice(DAYS)
            later = [i for s, _, i in self._busy(user, day) if s >= NOON]
            own = [i for i in later if self.events[i]["organiser"] == user]
            if later:
                found = user, day, later, own
                if bool(own) == want_own:
                    break
        if found is None:
            return None
        user, day, later, own = found
        text = rng.choice([f"Clear my {DAY_NAMES[day]} afternoon: cancel every meeting I organise that starts at "
                           "12:00 or later (leave other people's meetings alone). How many did you cancel?",
                           f"Cancel all the events I organise on {DAY_NAMES[day]} starting from 12:00; keep the ones "
                           "others organise. Tell me how many you cancelled."])
        return (user, text, {"day": day, "ops": [["cancel", i] for i in own]}, ["list_events", "cancel_event"],
                str(len(own)), False)

    # ---- the expert ----------------------------------------------------------------------------

    def expert(self, task: Task) -> Policy:
        return getattr(self, f"_solve_{task.kind}")(task, task.params, random.Random(task.instruction))

    def _solve_whats_on(self, task, p, v) -> Policy:
        at = p["at"]
        r = yield Call("list_events", {"person": p["person"], "day": p["day"]},
                       v.choice([f"I'll pull up {p['person']}'s events on {p['day']} and look at {_hm(at)}.",
                                 f"{p['person']}'s {p['day']} calendar will show what covers {_hm(at)}."]))
        hit = next((e for e in r["events"] if _minutes(e["start"]) <= at < _minutes(e["end"])), None)
        if hit:
            yield Answer(f"At {_hm(at)} {p['person']} is in '{hit['title']}' ({hit['start']}-{hit['end']}).\n"
                         f"Answer: {hit['title']}", "",
                         reflect=f"{hit['event_id']} runs {hit['start']}-{hit['end']}, which covers {_hm(at)}.")
        else:
            spans = ", ".join(f"{e['start']}-{e['end']}" for e in r["events"]) or "no events at all"
            yield Answer(f"Nothing is booked for {p['person']} at {_hm(at)}.\nAnswer: nothing", "",
                         reflect=f"The day has {spans}; none covers {_hm(at)}.")

    def _solve_count_events(self, task, p, v) -> Policy:
        r = yield Call("list_events", {"person": p["person"], "day": p["day"]},
                       f"Listing {p['person']}'s events on {p['day']} and counting them.")
        n = len(r["events"])
        titles = ", ".join(f"{e['title']} {e['start']}" for e in r["events"]) or "none"
        yield Answer(f"{p['person']} has {n} event{'s' * (n != 1)} on {p['day']}.\nAnswer: {n}", "",
                     reflect=f"{n} listed: {titles}.")

    def _solve_event_time(self, task, p, v) -> Policy:
        r = yield Call("get_event", {"event_id": p["event"]}, f"get_event gives the times of {p['event']}.")
        yield Answer(f"{r['title']} ({p['event']}) {p['which']}s at {r[p['which']]} on {r['day']}.\n"
                     f"Answer: {r[p['which']]}", "", reflect=f"It runs {r['start']}-{r['end']} on {r['day']}.")

    def _solve_common_slot(self, task, p, v) -> Policy:
        people, reflect = p["people"], ""
        if p["via"]:
            r = yield Call("get_event", {"event_id": p["via"]}, f"First: who organises {p['via']}?")
            people = [p["user"], r["organiser"]]
            reflect = f"{p['via']} is organised by {r['organiser']}."
        a, b = people
        r = yield Call("find_free_slots", {"people": people, "day": p["day"], "duration_minutes": p["length"]},
                       f"find_free_slots gives the windows on {p['day']} when {a} and {b} both work and are free "
                       f"for {p['length']} minutes.", reflect=reflect)
        if not r["slots"]:
            yield Answer(f"There is no {p['length']}-minute window on {p['day']} that works for both.\n"
                         "Answer: none", "", reflect="No window is long enough.")
            return
        first = r["slots"][0]
        yield Answer(f"The earliest is {first['start']} (both are free until {first['end']}).\n"
                     f"Answer: {first['start']}", "",
                     reflect="Windows: " + ", ".join(f"{w['start']}-{w['end']}" for w in r["slots"]) + ".")

    def _solve_both_free(self, task, p, v) -> Policy:
        s, e, reflect = p["start"], p["end"], ""
        for i, person in enumerate(p["people"]):
            r = yield Call("list_events", {"person": person, "day": p["day"]},
                           f"I need {person}'s working hours and events on {p['day']}"
                           + (" too." if i else ", then the other person's."), reflect=reflect)
            reflect = (f"{person} works {r['working_hours']}; events: "
                       + (", ".join(f"{x['start']}-{x['end']}" for x in r["events"]) or "none") + ".")
            why = self._day_check([r], s, e)
            if why:
                yield Answer(f"No: {why[0]}.\nAnswer: no", "", reflect=reflect + f" {_hm(s)}-{_hm(e)} doesn't work.")
                return
            reflect += f" {person} is free {_hm(s)}-{_hm(e)}."
        yield Answer(f"Yes: both are working and free {_hm(s)}-{_hm(e)}.\nAnswer: yes", "", reflect=reflect)

    def _solve_booked_minutes(self, task, p, v) -> Policy:
        r = yield Call("list_events", {"person": p["person"], "day": p["day"]},
                       f"I'll list {p['person']}'s events on {p['day']} and add up their lengths.")
        lengths = [_minutes(x["end"]) - _minutes(x["start"]) for x in r["events"]]
        total = sum(lengths)
        sums = " + ".join(map(str, lengths)) or "0"
        spans = ", ".join(f"{x['start']}-{x['end']}" for x in r["events"]) or "none"
        yield Answer(f"{total} minutes are booked.\nAnswer: {total}", f"{sums} = {total}.",
                     reflect=f"{len(lengths)} events: {spans}.")

    def _solve_busier(self, task, p, v) -> Policy:
        totals, reflect = {}, ""
        for person in p["people"]:
            r = yield Call("list_events", {"person": person, "day": p["day"]},
                           f"{person}'s events on {p['day']}, to add up their minutes.", reflect=reflect)
            lengths = [_minutes(x["end"]) - _minutes(x["start"]) for x in r["events"]]
            totals[person] = sum(lengths)
            reflect = f"{person}: {' + '.join(map(str, lengths)) or '0'} = {totals[person]} minutes."
        a, b = p["people"]
        top = a if totals[a] > totals[b] else b
        yield Answer(f"{top} has more booked: {totals[top]} minutes against {min(totals.values())}.\n"
                     f"Answer: {top}", "", reflect=reflect)

    def _solve_smallest_room(self, task, p, v) -> Policy:
        n, reflect = p["people"], ""
        if p["via"]:
            r = yield Call("get_event", {"event_id": p["via"]}, f"How many people are invited to {p['via']}?")
            n = len(r["attendees"])
            reflect = f"{p['via']} has {n} attendees: {_names(r['attendees'])}."
        r = yield Call("list_rooms", {"min_capacity": n},
                       f"list_rooms with min_capacity {n} lists the rooms that fit, smallest first.", reflect=reflect)
        best = r["rooms"][0]
        yield Answer(f"{best['room']} (capacity {best['capacity']}) is the smallest that seats {n}.\n"
                     f"Answer: {best['room']}", "",
                     reflect="Fitting rooms: " + ", ".join(f"{x['room']} ({x['capacity']})" for x in r["rooms"]) + ".")

    def _solve_schedule(self, task, p, v) -> Policy:
        people, day, length = p["people"], p["day"], p["length"]
        r = yield Call("find_free_slots", {"people": people, "day": day, "duration_minutes": length},
                       f"First the windows on {day} when {_names(people)} are all free for {length} minutes.")
        after = p["after"]
        windows = [(_minutes(w["start"]), _minutes(w["end"])) for w in r["slots"]]
        seen = "Common windows: " + (", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in windows) or "none") + "."
        if after:
            windows = [(max(a, after), b) for a, b in windows if b - max(a, after) >= length]
            seen += (f" From {_hm(after)} on, that leaves "
                     + (", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in windows) or "nothing") + ".")
        rooms = yield Call("list_rooms", {"min_capacity": len(people)},
                           f"Then the rooms that seat {len(people)}, smallest first.", reflect=seen)
        order = [x["room"] for x in rooms["rooms"]]
        reflect = "Rooms that fit, smallest first: " + ", ".join(f"{x['room']} ({x['capacity']})"
                                                                 for x in rooms["rooms"]) + "."
        booked: dict[str, list[tuple[int, int]]] = {}
        for ws, we in windows:
            for s in range(ws, we - length + 1, 15):
                for room in order:
                    if room not in booked:
                        sched = yield Call("room_schedule", {"room": room, "day": day},
                                           f"Is {room} free at {_hm(s)}-{_hm(s + length)}? I check its bookings.",
                                           reflect=reflect)
                        booked[room] = [(_minutes(b["start"]), _minutes(b["end"])) for b in sched["bookings"]]
                        reflect = f"{room} on {day}: " + (", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in booked[room])
                                                          or "no bookings") + "."
                    clash = next(((a, b) for a, b in booked[room] if a < s + length and s < b), None)
                    if clash:
                        reflect += f" It is taken {_hm(clash[0])}-{_hm(clash[1])} at {_hm(s)}."
                        continue
                    c = yield Call("create_event", {"title": p["title"], "day": day, "start": _hm(s),
                                                    "end": _hm(s + length), "attendees": people,
                                                    "organiser": p["user"], "room": room},
                                   f"{room} is free at {_hm(s)}-{_hm(s + length)} and everyone is free then; booking.",
                                   reflect=reflect + f" {room} is free at {_hm(s)}.")
                    ev = c["created"]
                    yield Answer(f"Booked '{ev['title']}' ({ev['event_id']}) on {day} {ev['start']}-{ev['end']} in "
                                 f"{room} for {_names(people)}.\nAnswer: {ev['start']}", "",
                                 reflect=f"Created {ev['event_id']}.")
                    return
        yield Answer("No common time has a free room that fits.\nAnswer: none", "", reflect=reflect)

    def _day_check(self, views: list[dict], start: int, end: int) -> list[str]:
        """What stops a meeting at start-end, read from list_events results (rules 2 and 3)."""
        out = []
        for r in views:
            lo, hi = (_minutes(t) for t in r["working_hours"].split("-"))
            if start < lo or end > hi:
                out.append(f"{_hm(start)}-{_hm(end)} is outside {r['person']}'s working hours {r['working_hours']}")
            for e in r["events"]:
                if _minutes(e["start"]) < end and start < _minutes(e["end"]):
                    out.append(f"{r['person']} is in {e['event_id']} '{e['title']}' {e['start']}-{e['end']}")
        return out

    def _read_days(self, people: list[str], day: str, first: str, then: str, detailed: bool = False):
        """``list_events`` of each person (the thinking: ``first``, then ``then``, ``{person}``
        filled in); returns their results and the reflection on the last one."""
        views, reflect = [], ""
        for i, person in enumerate(people):
            r = yield Call("list_events", {"person": person, "day": day},
                           (first if i == 0 else then).format(person=person), reflect=reflect)
            views.append(r)
            events = ", ".join(f"{x['event_id']} {x['start']}-{x['end']} (by {x['organiser']})" if detailed
                               else f"{x['start']}-{x['end']}" for x in r["events"])
            reflect = f"{person} works {r['working_hours']}; events: {events or 'none'}."
        return views, reflect

    def _solve_book_fixed(self, task, p, v) -> Policy:
        people, day, s, e, room = p["people"], p["day"], p["start"], p["end"], p["room"]
        views, reflect = yield from self._read_days(
            people, day, f"Before booking {_hm(s)}-{_hm(e)} I check that everyone is free and working then; "
                         "first {person}.", f"Now {{person}}'s {day}.")
        sched = yield Call("room_schedule", {"room": room, "day": day},
                           f"And whether {room} is big enough and free then.", reflect=reflect)
        problems = self._day_check(views, s, e)
        if sched["capacity"] < len(people):
            problems.append(f"{room} seats only {sched['capacity']}")
        problems += [f"{room} is booked {b['start']}-{b['end']} ({b['event_id']})" for b in sched["bookings"]
                     if _minutes(b["start"]) < e and s < _minutes(b["end"])]
        reflect = (f"{room} seats {sched['capacity']}; bookings: "
                   + (", ".join(f"{b['start']}-{b['end']}" for b in sched["bookings"]) or "none") + ".")
        if problems:
            yield Answer(f"I can't book it: {'; '.join(problems)}.\nAnswer: refused",
                         "Booking it would break the calendar's rules, so I decline.", reflect=reflect)
            return
        c = yield Call("create_event", {"title": p["title"], "day": day, "start": _hm(s), "end": _hm(e),
                                        "attendees": people, "organiser": p["user"], "room": room},
                       "Everyone is free and working, and the room fits and is free: I book it.", reflect=reflect)
        yield Answer(f"Booked '{p['title']}' as {c['created']['event_id']}, {day} {_hm(s)}-{_hm(e)} in {room}.\n"
                     "Answer: done", "", reflect=f"Created {c['created']['event_id']}.")

    def _solve_cancel(self, task, p, v) -> Policy:
        r = yield Call("get_event", {"event_id": p["event"]},
                       f"Only the organiser may cancel an event, so I check who organises {p['event']}.")
        if r["organiser"] != p["user"]:
            yield Answer(f"{p['event']} ('{r['title']}') is organised by {r['organiser']}, so I can't cancel it for "
                         f"you; you could decline it, or ask {r['organiser']}.\nAnswer: refused",
                         "Rule 1: only events the user organises may be cancelled.",
                         reflect=f"The organiser is {r['organiser']}, not {p['user']}.")
            return
        yield Call("cancel_event", {"event_id": p["event"]}, f"{p['user']} organises it, so cancelling is allowed.",
                   reflect=f"{p['event']} is organised by {p['user']}.")
        yield Answer(f"Cancelled {p['event']} ('{r['title']}').\nAnswer: done", "", reflect="Cancelled.")

    def _solve_reschedule_book(self, task, p, v) -> Policy:
        people, day, s, e, user = p["people"], p["day"], p["start"], p["end"], p["user"]
        views, reflect = yield from self._read_days(
            people, day, f"I start by checking everyone's {day} around {_hm(s)}-{_hm(e)}: {{person}} first.",
            "Next, {person}.", detailed=True)
        clashes = {x["event_id"]: x for r in views for x in r["events"]
                   if _minutes(x["start"]) < e and s < _minutes(x["end"])}
        foreign = [x for x in clashes.values() if x["organiser"] != user]
        outside = [f"{r['person']}'s working hours {r['working_hours']}" for r in views
                   if s < _minutes(r["working_hours"][:5]) or e > _minutes(r["working_hours"][6:])]
        if foreign or outside:
            why = "; ".join([f"{x['event_id']} '{x['title']}' {x['start']}-{x['end']} is organised by "
                             f"{x['organiser']}" for x in foreign] + [f"the time is outside {o}" for o in outside])
            yield Answer(f"I can't book it: {why}, and I may only move your own meetings.\nAnswer: refused",
                         "A clash I am not allowed to resolve: I decline.", reflect=reflect)
            return
        reflect += (" Clashes: " + ", ".join(f"{i} (mine)" for i in sorted(clashes)) + "." if clashes
                    else " Nobody has anything at that time.")
        rooms = yield Call("list_rooms", {"min_capacity": len(people)},
                           f"Rooms that seat {len(people)}, smallest first.", reflect=reflect)
        reflect = "Candidates: " + ", ".join(f"{x['room']} ({x['capacity']})" for x in rooms["rooms"]) + "."
        room = None
        for x in rooms["rooms"]:
            sched = yield Call("room_schedule", {"room": x["room"], "day": day},
                               f"Is {x['room']} free at {_hm(s)}-{_hm(e)}?", reflect=reflect)
            taken = [b for b in sched["bookings"] if _minutes(b["start"]) < e and s < _minutes(b["end"])]
            if not taken:
                room, reflect = x["room"], f"{x['room']} is free then."
                break
            reflect = f"{x['room']} is taken {taken[0]['start']}-{taken[0]['end']} ({taken[0]['event_id']})."
        if room is None:
            yield Answer(f"No room that seats {len(people)} is free at {_hm(s)}-{_hm(e)}.\nAnswer: refused",
                         "Nothing can be booked, so I move nothing either.", reflect=reflect)
            return
        for i in sorted(clashes):
            x = clashes[i]
            length = _minutes(x["end"]) - _minutes(x["start"])
            f = yield Call("find_free_slots", {"people": x["attendees"], "day": day, "duration_minutes": length},
                           f"{i} is mine and in the way; when are its attendees ({_names(x['attendees'])}) free for "
                           f"{length} minutes?", reflect=reflect)
            reflect = "Their windows: " + (", ".join(f"{w['start']}-{w['end']}" for w in f["slots"]) or "none") + "."
            busy = []
            if x["room"]:
                sched = yield Call("room_schedule", {"room": x["room"], "day": day},
                                   f"{i} keeps its room {x['room']}, so that must be free too.", reflect=reflect)
                busy = [(_minutes(b["start"]), _minutes(b["end"])) for b in sched["bookings"] if b["event_id"] != i]
                reflect = f"{x['room']} bookings: " + (", ".join(f"{_hm(a)}-{_hm(b)}" for a, b in busy) or "none") + "."
            to = next((t for w in f["slots"] for t in range(_minutes(w["start"]), _minutes(w["end"]) - length + 1, 15)
                       if not (t < e and s < t + length) and not any(a < t + length and t < b for a, b in busy)), None)
            if to is None:
                yield Answer(f"There is no time on {day} to move {i} to.\nAnswer: refused", "", reflect=reflect)
                return
            yield Call("move_event", {"event_id": i, "day": day, "start": _hm(to)},
                       f"The earliest start clear of the new meeting is {_hm(to)}; I move {i} there.",
                       reflect=reflect + f" {_hm(to)}-{_hm(to + length)} is the first fit clear of {_hm(s)}-{_hm(e)}.")
            reflect = f"{i} now starts at {_hm(to)}."
        c = yield Call("create_event", {"title": p["title"], "day": day, "start": _hm(s), "end": _hm(e),
                                        "attendees": people, "organiser": user, "room": room},
                       f"Everyone is free at {_hm(s)}-{_hm(e)}{' now' if clashes else ''}, and {room} is free: "
                       "booking.", reflect=reflect)
        yield Answer(f"Booked '{p['title']}' ({c['created']['event_id']}) on {day} {_hm(s)}-{_hm(e)} in {room}"
                     + (f", after moving {', '.join(sorted(clashes))}" if clashes else "") + f".\nAnswer: {room}", "",
                     reflect=f"Created {c['created']['event_id']}.")

    def _solve_clear_afternoon(self, task, p, v) -> Policy:
        r = yield Call("list_events", {"person": p["user"], "day": p["day"]},
                       f"I list {p['user']}'s events on {p['day']} to find the afternoon ones they organise.")
        later = [x for x in r["events"] if _minutes(x["start"]) >= NOON]
        own = [x for x in later if x["organiser"] == p["user"]]
        reflect = ("From 12:00: " + (", ".join(f"{x['event_id']} {x['start']} (by {x['organiser']})" for x in later)
                                      or "nothing") + f"; {len(own)} organised by {p['user']}.")
        for x in own:
            yield Call("cancel_event", {"event_id": x["event_id"]}, f"Cancelling {x['event_id']} '{x['title']}'.",
                       reflect=reflect)
            reflect = "Cancelled."
        kept = [x["event_id"] for x in later if x["organiser"] != p["user"]]
        yield Answer(f"Cancelled {len(own)} meeting{'s' * (len(own) != 1)}"
                     + (f"; kept {', '.join(kept)}, which others organise" if kept else "")
                     + f".\nAnswer: {len(own)}", "", reflect=reflect)

    # ---- the goal ------------------------------------------------------------------------------

    def check_goal(self, task: Task) -> str | None:
        want = type(self)(self.world)
        before = set(want.events)
        for op in task.params.get("ops", []):
            if op[0] == "create":
                want._add(op[1], op[2], op[3], op[4], task.params["user"], op[5], op[6])
            elif op[0] == "move":
                ev = want.events[op[1]]
                ev.update(day=op[2], start=op[3], end=op[3] + ev["end"] - ev["start"])
            else:
                del want.events[op[1]]

        def norm(events: dict) -> list:
            return sorted((i if i in before else "new", e["title"], e["day"], e["start"], e["end"], e["organiser"],
                           tuple(e["attendees"]), e["room"] or "") for i, e in events.items())

        got, expected = norm(self.events), norm(want.events)
        if got == expected:
            return None
        diff = sorted(set(got) ^ set(expected))
        return f"the calendar differs from the goal at {', '.join(sorted({d[0] for d in diff})[:4])}"

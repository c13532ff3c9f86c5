"""Letter counting: how often a letter occurs in a phrase, or how many of its words have a property.

Three kinds of question over a phrase of common English words (a list of about 1,500 written out
in this module): ``letter``, how many times a letter occurs in it; ``starts``, how many of its
words start with a letter; ``longer``, how many of its words have more than k letters. The answer
class, the count, is drawn first (uniformly from 0 to the level's maximum), then the number of
words independently of it, and the phrase is built to have exactly that count, so neither the
phrase's length nor its number of words gives the count away: the asked letter comes from a
fixed set of common letters, drawn independently of the count; for ``longer`` the words that do
not count are exactly k letters long and those that count k + 1, so the count changes the
phrase's length by one letter per word, and with k drawn from 3..6 a word of 4 to 6 letters is
as likely in a phrase of any count (only a careful count of each word's letters tells them
apart); for ``starts`` every word starts with one of a fixed set of letters, each word's initial
uniform over them whatever the count.

The trace is the scan: word by word (letter by letter for the letter kind at the lower levels),
with the running total; at the higher levels only the words that count are listed. ``verify``
re-counts from the stored words ("3", "3 times", "Answer: 3 words").
"""

from __future__ import annotations

import random
import re

from pydantic import Field

from synthcompile.answers import final_answer, parse_count
from synthcompile.compilers.logic.base import Family, FamilyConfig, GenerationFailed, Problem
from synthcompile.compilers.logic.draws import pick, shuffle
from synthcompile.sample import Verdict

WORDS = tuple(sorted(set("""
a an as at be by do go he if in is it me my no of on or so to up us we am ox
act add age ago air all and any arm art ask bad bag bat bed big bit box boy bus but buy can cap car cat
cow cry cup cut day did dig dog dry ear eat egg end eye far fat few fit fix fly fog for fox fun gas get
god got gun guy hat her hid him hip his hit hot how ice ill ink jam jar job joy key kid kit lab lap law
lay leg let lid lie lip log lot low mad man map mat may mix mud net new nod not now nut oak odd off oil
old one our out owl own pan pay pen pet pie pig pin pit pot put ran rat raw red rib rid row rub run sad
sat saw say sea see set she shy sip sit six sky son spy sun tag tan tap tax tea ten the tie tin tip toe
ton too top toy try two use van vet war was way web wet who why win wit yes yet you zoo
able acid aged also area army away baby back bake ball band bank barn base bath bear beat been bell belt
best bike bird bite blow blue boat body bold bone book boot born both bowl bulk burn bush busy cake calm
came camp card care cart case cash cast cave chef chin city clay club coal coat code coin cold cook cool
copy corn cost crew crop cube dark data date dawn dead deal dear deep deer desk dial diet dish dive door
dose down draw drop drum duck dull dust duty each earn east easy edge else even ever face fact fair fall
farm fast fear feel feet fell felt fern file fill film find fine fire firm fish five flag flat flow
folk food foot fork form four free frog from fuel full game gate gave gift girl give glad glow goal goat
gold golf gone good gray grew grid grow hair half hall hand hang hard harm hawk head heat held help here
hero high hill hint hold hole home hook hope horn hose hour huge hunt idea inch iron isle item jazz join
joke jump jury just keen keep kept kind king kiss kite knee knew know lake lamp land lane last late lawn
lazy lead leaf lean left lend less life lift like line lion list live load loaf lock long look loop lord
lose loss lost loud love luck lung made mail main make male many mark mask mass meal mean meat meet melt
menu mild milk mill mind mine mint miss mist mood moon more moss most moth move much must nail name near
neat neck need nest news next nice nine node none noon nose note oath obey once only open oval oven over
pace pack page paid pail pain pair palm park part pass past path peak pear pick pile pine pink pipe plan
play plot plug poem pole pond pool poor pork port pose post pour pull pump pure push rain rank rare read
real rest rice rich ride ring rise risk road rock role roll roof room root rope rose rule rush safe sail
salt same sand save seal seat seed seek seem seen self sell send ship shoe shop shot show shut sick side
sign silk sing sink size skin slip slow snow soap sock soft soil sold sole some song soon sort soup spin
star stay stem step stir stop such suit sure swim tail take tale talk tall tank tape task team tell tent
term test text than that them then they thin this tide tidy tile time tiny tool tour town tree trip true
tube tune turn twin type unit upon used user vase vast verb very view vine vote wage wait wake walk wall
want warm wash wave weak wear week well went were west what when whip wide wife wild will wind wine wing
wire wise wish with wolf wood wool word wore work worm wrap yard year yoga zero zone
about above acorn actor adult after again agent agree ahead alarm album alert alike alive allow alone
along amber angel anger angle angry apple apron arena argue arise arrow aside asset attic audio avoid
awake award aware bacon badge baker basic basin beach beard began begin being below bench berry birth
black blade blame blank blast blend bless blind block bloom board boost booth brain brake brand brass
brave bread break brick bride brief bring broad broom brown brush build bunch buyer cabin cable camel
candy canoe cargo carry catch cause chain chair chalk charm chart chase cheap check cheek chess chest
chick chief child chill choir civic claim class clean clear clerk click cliff climb clock close cloth
cloud coach coast cocoa color coral couch count court cover crane crash cream crisp cross crowd crown
crust curve cycle daily dairy dance delay depth diary dinner dizzy doubt dough draft drain drama dream
dress drift drink drive eager eagle early earth eight elbow elder empty enemy enjoy enter equal error
essay event exact exist extra fable faith false fancy feast fence ferry fever field fifty final first
flame flash fleet flock flood floor flour fluid flute focus force forty frame fresh front frost fruit
funny gauge ghost giant glass globe glove grace grade grain grand grape grass great green greet grill
group guard guess guest guide habit happy harsh heart heavy hedge hello honey horse hotel house human
humor hurry ideal image index inner input irony ivory jelly jewel juice knife knock label large laser
later laugh layer learn lemon level light lilac limit linen liver lobby local lodge logic loose lucky
lunar lunch magic major maple march match mayor medal metal meter might minor model money month moral
motor mount mouse mouth movie music nerve never night noble noise north novel nurse ocean offer often
olive onion opera orbit order organ other otter outer owner paint panel paper party pasta patch pause
peace peach pearl pedal penny piano piece pilot pitch pizza place plain plane plant plate plaza point
polar porch pound power press price pride prize proof proud prune pulse punch pupil puppy queen quick
quiet quilt quite radio raise ranch range rapid raven reach ready refer relax reply rider ridge rifle
right rival river roast robin robot rocky round route royal ruler rural salad sauce scale scarf scene
scent school scope score scout screw seven shade shake shape share shark sharp sheep sheet shelf shell
shine shirt shock shore short shout sight silly skill skirt sleep slice slide slope small smart smile
smoke snack snake solid sound south space spare spark speak spice spike spoon sport spray squad stack
staff stage stair stamp stand start state steam steel steep stick still stone stool storm story stove
straw strip study style sugar sunny super sweet swing sword table taste teach teeth thank theme there
thick thing think third three throw thumb tiger title toast today token topic torch total touch tower
track trade trail train treat trend trial tribe trick truck trunk trust truth tulip twice uncle under
union unity upper urban usual valid value vapor video visit vital vivid voice wagon waste watch water
whale wheat wheel where while white whole woman world worry worth write wrong yacht young youth zebra
action animal answer anyone appear artist autumn banana basket battle beauty become before behind better
bottle bottom branch bridge bright broken bubble bucket butter button camera candle carpet castle center
cheese cherry circle clever closet coffee collar column corner cotton cousin credit damage danger debate
decide degree dinner direct doctor dollar donkey double dragon driver effort eleven engine escape events
excuse expert fabric family farmer father finger finish flower follow forest formal friend frozen future
garden gentle giraffe global golden ground growth guitar hammer handle happen harbor health heaven helmet
hidden hollow honest insect island jacket jungle kettle kitten ladder lawyer leader legend lesson letter
liquid listen little lizard manner marble market master meadow mellow member mirror moment monkey mother
museum narrow nation nature needle number object office orange oyster palace parent parrot pencil people
pepper planet pocket poetry potato powder purple rabbit reason record repair ribbon riddle rocket rubber
saddle salmon sample school season secret settle shadow silver simple singer sister smooth soccer spirit
spring square statue street strong summer supper tennis thirty throat ticket tomato tunnel turtle twelve
valley velvet violin wallet window winter wisdom wonder yellow
balloon battery bedroom bicycle biscuit cabbage captain chicken classic climate cottage country courage
crystal curtain diamond dolphin example factory fashion feather finance general glitter harvest history
holiday husband iceberg kitchen lantern leather library machine mailbox mansion measure mission monster
morning mystery network nothing october orchard package painter passage pattern penguin perfect picture
pillow pioneer planner plastic popcorn problem program pumpkin pyramid quality rainbow reading respect
rooster sailing sandals science scissor seaside shelter silence soldier station student success sunrise
teacher thunder tonight trouble uniform unicorn vehicle village visitor volcano weather western whistle
bikini civil limit visit timid bitter skiing initial mimic pirate tiara radio liquid
assess sisters possess tattoo letters street mission balloon pepper lesson settle seller little rattle
""".split())))

COMMON = ("a", "e", "i", "o", "n", "r", "s", "t", "l")  # letters asked for the letter kind
INITIALS = ("b", "c", "d", "f", "h", "l", "m", "p", "r", "s", "t", "w")  # letters asked for the starts kind
KINDS = ("letter", "starts", "longer")


class LetterCountingConfig(FamilyConfig):
    min_words: int = Field(ge=1, le=60, description="fewest words in the phrase")
    max_words: int = Field(ge=1, le=60, description="most words in the phrase")
    max_count: int = Field(ge=1, le=20, description="counts are drawn uniformly from 0..max_count")
    kinds: tuple[str, ...] = Field(min_length=1, description="letter (occurrences), starts (words starting "
                                                             "with a letter), longer (words of more than k letters)")
    thresholds: tuple[int, ...] = Field(min_length=1, description="values of k for the longer kind")
    compress: bool = Field(description="trace only the words that count (else every word, letter by letter)")
    attempts: int = Field(200, ge=1, le=100000, description="draws before giving up")


def _by(key) -> dict:
    out: dict = {}
    for w in WORDS:
        out.setdefault(key(w), []).append(w)
    return out


LETTER_POOLS = {x: _by(lambda w, x=x: min(w.count(x), 3)) for x in COMMON}  # count of x (3: 3 or more) -> words
MAX_PER = {x: 2 for x in COMMON}  # most occurrences of x put in one word (pools of 2 are large enough)
STARTING = {x: [w for w in WORDS if w[0] == x] for x in INITIALS}
LENGTHS = _by(len)


def count(kind: str, words: list[str], target) -> int:
    if kind == "letter":
        return sum(w.count(target) for w in words)
    if kind == "starts":
        return sum(w[0] == target for w in words)
    return sum(len(w) > target for w in words)


def read_count(answer: str) -> int | None:
    text = final_answer(answer)
    text = re.sub(r"(?i)^(?:there (?:are|is)|it (?:occurs|appears)|(?:it|they) (?:is|are))\s+", "", text.strip())
    return parse_count(text, units=("time", "word", "occurrence", "letter"))


class LetterCounting(Family):
    name = "letter_counting"
    description = "Count a letter's occurrences in a phrase, or the words that start with a letter or exceed a length."
    skills = ("counting", "string processing", "attention to detail")
    Config = LetterCountingConfig
    levels = {
        1: dict(min_words=3, max_words=5, max_count=3, kinds=("letter", "starts"), thresholds=(3, 4),
                compress=False),
        2: dict(min_words=4, max_words=8, max_count=4, kinds=KINDS, thresholds=(3, 4, 5, 6), compress=False),
        3: dict(min_words=8, max_words=11, max_count=6, kinds=KINDS, thresholds=(3, 4, 5, 6), compress=True),
        4: dict(min_words=12, max_words=16, max_count=8, kinds=KINDS, thresholds=(3, 4, 5, 6), compress=True),
        5: dict(min_words=18, max_words=24, max_count=10, kinds=KINDS, thresholds=(3, 4, 5, 6), compress=True),
    }
    phrasings = (
        "{ask}\nText: \"{text}\"",
        "Consider the phrase \"{text}\".\n{ask}",
        "Read this carefully: {text}\n{ask}",
        "Here is a string of words: \"{text}\"\n{ask} Answer with a number.",
        "{ask} The words are: {text}",
    )
    _ASK = {"letter": "How many times does the letter '{t}' occur in the text?",
            "starts": "How many of the words start with the letter '{t}'?",
            "longer": "How many of the words have more than {t} letters?"}

    def generate(self, rng: random.Random) -> Problem:
        c = self.config
        kind = pick(rng, c.kinds)
        want = int(rng.random() * (c.max_count + 1))
        n = c.min_words + int(rng.random() * (c.max_words - c.min_words + 1))
        for _ in range(c.attempts):
            words = self._draw(rng, kind, want, n)
            if words is not None:
                break
        else:
            raise GenerationFailed(f"no {kind} phrase of {n} words with count {want} in {c.attempts} draws")
        words, target = words
        if kind != "letter" and n < want:
            raise ValueError(f"{n} words cannot have {want} that count: min_words must be at least max_count")
        assert count(kind, words, target) == want
        trace, summary = self._scan(kind, words, target)
        return Problem(fields={"text": " ".join(words), "ask": self._ASK[kind].format(t=target)},
                       answer_text=str(want), trace=trace, terse=summary,
                       data={"kind": kind, "words": words, "target": target})

    def _draw(self, rng: random.Random, kind: str, want: int, n: int):
        if kind == "letter":
            x = pick(rng, COMMON)
            pools = LETTER_POOLS[x]
            per = [0] * n  # occurrences per word: units dropped on words at random, at most 3 each
            for _ in range(want):
                free = [i for i in range(n) if per[i] < MAX_PER[x]]
                if not free:
                    return None
                per[pick(rng, free)] += 1
            words = [pick(rng, pools[k]) for k in per]
            if count(kind, words, x) != want:
                return None
            return words, x
        if kind == "starts":
            x = pick(rng, INITIALS)
            others = [y for y in INITIALS if y != x]  # every word starts with one of INITIALS, each word's
            words = [pick(rng, STARTING[x]) for _ in range(want)]  # initial uniform over them whatever the count
            words += [pick(rng, STARTING[pick(rng, others)]) for _ in range(n - want)]
            shuffle(rng, words)
            return words, x
        k = pick(rng, self.config.thresholds)
        words = [pick(rng, LENGTHS[k + 1]) for _ in range(want)] + [pick(rng, LENGTHS[k]) for _ in range(n - want)]
        shuffle(rng, words)
        return words, k

    def _scan(self, kind: str, words: list[str], target) -> tuple[list[str], list[str]]:
        total, steps, hits = 0, [], []
        for i, w in enumerate(words, 1):
            k = count(kind, [w], target)
            total += k
            if kind == "letter":
                if k:
                    hits.append(f"{w} ({k})")
                marks = " ".join(ch.upper() if ch == target else ch for ch in w)
                steps.append(f"word {i} {w}: {marks}: {k} × '{target}', total {total}")
            elif kind == "starts":
                if k:
                    hits.append(w)
                steps.append(f"word {i} {w}: starts with {w[0]}{' ✓' if k else ''}, total {total}")
            else:
                if k:
                    hits.append(f"{w} ({len(w)})")
                steps.append(f"word {i} {w}: {len(w)} letters{' ✓' if k else ''}, total {total}")
        what = {"letter": f"words with '{target}'", "starts": f"words starting with '{target}'",
                "longer": f"words of more than {target} letters"}[kind]
        summary = [f"scan {len(words)} words; {what}: {', '.join(hits) if hits else 'none'}", f"count: {total}"]
        return summary if self.config.compress else steps + summary[1:], summary

    def verify(self, data: dict, answer: str) -> Verdict:
        want = count(data["kind"], data["words"], data["target"])
        given = read_count(answer)
        if given is None:
            return self.wrong(f"not a count: {final_answer(answer)!r}")
        return self.ok() if given == want else self.wrong(f"expected {want}, got {given}")

    def corruptions(self, problem: Problem, rng: random.Random) -> list[str]:
        a = int(problem.answer_text)
        wrong = [a + 1, a - 1, a + 2, len(problem.data["words"])]
        return [str(w) for w in dict.fromkeys(wrong) if w != a and w >= 0]


FAMILY = LetterCounting

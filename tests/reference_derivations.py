"""Frozen copy of features/derivations.py as of commit 091b88a: the reference the lean stage must match.

Kept only in tests. Do not edit to follow a change in features/; a deliberate feature change updates this
copy and the frozen digests in test_feature_equivalence.py in the same commit.
"""

from __future__ import annotations

import polars as pl

HASH_SEED = 20260301
TEMPLATE_HEAD_CHARS = 64
TEMPLATE_TAIL_CHARS = 40
HEAD_CHARS = 600
TAIL_CHARS = 300

# Ordered: code and links go first so their contents do not produce number or name placeholders.
_NORMALISERS: list[tuple[str, str]] = [
    (r"(?s)```.*?(```|$)", " <code> "),
    (r"https?://\S+|www\.\S+", " <url> "),
    (r"[\w.+-]+@[\w-]+\.[\w.]+", " <email> "),
    # A labelled field ("Question: ...", "Message: ...") carries the payload of a templated job.
    (r"(?m)^([A-Za-z]+(?: [A-Za-z]+){0,2}):[ \t]*\S[^\n]*", "$1: <span>"),
    (r"\"[^\"\n]{1,300}\"|'[^'\n]{3,300}'|`[^`\n]{1,300}`", " <q> "),
    # Capitalised words after a lower-case word are names or proper nouns.
    (r"([a-z,;] )[A-Z][\w'-]+", "$1<name>"),
    (r"\d+(?:[.,:]\d+)*", "<n>"),
]

CAPABILITIES = ["agentic", "coding", "math", "writing", "analysis", "chat"]
_CAPABILITY_PATTERNS = {
    "agentic": r"\btool(s| call|_call)?\b|run_shell|read_file|\brepository\b|<task>|\bagent\b|trajector|\bcodebase\b|tool result",
    "coding": r"<code>|\bdef |\bfunction\b|\bcode\b|\bpython\b|javascript|typescript|\bsql\b|\bbug\b|\berror\b|\bcompile|\.py\b|\.js\b|\bregex|\bapi\b|\bclass\b|\bscript\b",
    "math": r"\bsolve\b|equation|integra|derivative|probability|\bprime\b|how many|how much|percent|\bproof\b|\bprove\b|<n> ?[-+*/x^=] ?<n>|\bmath",
    "writing": r"\bwrite\b|\bdraft\b|rewrite|\bpoem|\bstory\b|\bessay|\bletter\b|\bemail\b|\bblog|paraphras|proofread|\btweet|\bspeech\b|lyrics",
    "analysis": r"analy[sz]|summari[sz]|\bcompare|classif|\bextract|\bevaluat|\bassess|sentiment|\bswot\b|\bkpis?\b|\breport\b|\blabel|\bintent\b|categor",
}

# Markers are matched on lower-cased raw text.
MARKERS: dict[str, str] = {
    # Chain-of-thought elicitation: asks for the reasoning itself, not for an answer.
    "cot": (
        r"chain[- ]of[- ]thought|thought process|thinking process|internal monologue"
        r"|(internal|hidden|inner|underlying|intermediate|private) (reasoning|thinking|thoughts|steps)"
        r"|reasoning (behind|that (leads|led|produced))"
        r"|(articulate|reconstruct|spell out|write out|lay out|walk me through|show) (me )?(your |the |every |each |all )?(\w+ ){0,2}(reasoning|thinking|thoughts|steps)"
        r"|(think|reason)( it| this)? (through )?step[- ]by[- ]step|step[- ]by[- ]step (reasoning|thinking|thought)"
    ),
    # The model used as a reward model or judge.
    "rubric": (
        r"\brubric|\bgrader\b|(score|rate|grade|judge) (the|this|each|both|these|which) (response|answer|output|completion)s?"
        r"|which (of the two )?(responses?|answers?) is better|per[- ]criterion|on a (scale of )?\d+ ?(-|to) ?\d+ scale|\bresponse a\b"
    ),
    # Coercing the language the reasoning is written in.
    "lang_coercion": (
        r"(think|reason|reasoning|thoughts?|monologue)\b[^.\n]{0,40}\bin (english|chinese|mandarin|russian|french|spanish|german|japanese|korean)\b"
        r"|respond only in (english|chinese|mandarin|russian|french|spanish|german|japanese|korean)"
    ),
    # Instructions that push the output to its maximum length.
    "maxout": (
        r"(long|detailed|verbose|lengthy) as possible|at least \d[\d,]* (words|tokens)|maximum length|do not (abbreviate|truncate|summari[sz]e)"
        r"|longer is better|in full detail|without skipping|every detail"
    ),
    # Harvesting censorship-safe rewrites of answers on sensitive topics.
    "rewrite": (
        r"censorship[- ]safe|politically sensitive|pass (strict )?content review|acceptable to regulators"
        r"|disputed territor|remov(e|ing) references to (officials|protests)"
    ),
    # Attempts to extract hidden reasoning or the system prompt.
    "probe": (
        r"system prompt|ignore (all |any )?(previous|prior) instructions|<thinking>|reasoning tokens"
        r"|(reveal|dump|leak|expose|print|repeat)( verbatim)? (your |the )?(hidden |internal |exact )?(reasoning|thinking|thoughts|instructions|chain)"
    ),
}


# Deliberate feature change (issue 13 item 5): the same markers phrased in zh, ja, ko, ru, es, pt, fr and de.
# Frozen copy of features/markers.yaml's `languages` at that change.
MULTILINGUAL: dict[str, str] = {
    "cot": (
        "|思维链"
        "|思考过程"
        "|推理过程"
        "|(内部|隐藏|内在)的?(推理|思考|思维)"
        "|(一步一步|逐步)地?(思考|推理)"
        "|(展示|写出|列出|说明)你的(推理|思考)"
        "|思考の連鎖"
        "|思考過程"
        "|推論過程"
        "|(内部|隠れた|内なる)の?(推論|思考)"
        "|(ステップバイステップ|段階的)に(考え|推論)"
        "|推論を(示|書|見せ)"
        "|사고 ?과정"
        "|추론 ?과정"
        "|생각의 ?사슬"
        "|단계별로 (생각|추론)"
        "|(내부|숨겨진) 추론"
        "|추론을 (보여|설명|적어|써)"
        "|цепочк[а-яё]* (рассуждени|мысл)"
        "|ход (ваших |своих |твоих )?(мыслей|рассуждений)"
        "|внутренн[а-яё]* (рассуждени|монолог)"
        "|(думай|подумай|рассуждай|размышляй)[а-яё]* шаг за шагом"
        "|пошагов[а-яё]* рассуждени"
        "|(покажи|опиши|распиши|изложи)[а-яё]* (свои |ваши |твои )?(рассуждени|ход мыслей)"
        "|cadena de pensamiento"
        "|proceso de pensamiento"
        "|razonamiento (interno|oculto)"
        "|monólogo interno"
        "|(piensa|razona|piense|razone) paso a paso"
        "|razonamiento paso a paso"
        "|(muestra|muéstrame|explica|escribe|detalla|muestre|escriba) (todo )?(tu|su|el) razonamiento"
        "|cadeia de pensamento"
        "|processo de pensamento"
        "|raciocínio (interno|oculto)"
        "|monólogo interno"
        "|(pensa|pense|raciocina|raciocine) passo a passo"
        "|raciocínio passo a passo"
        "|(mostra|mostre|escreve|escreva|detalha|detalhe) (o )?(teu|seu) raciocínio"
        "|chaîne de pensée"
        "|processus de (pensée|réflexion)"
        "|raisonnement (interne|caché)"
        "|monologue intérieur"
        "|(réfléchis|réfléchissez|raisonne|raisonnez) étape par étape"
        "|raisonnement étape par étape"
        "|(montre|montrez|détaille|détaillez|écris|écrivez) (tout )?(ton|votre) raisonnement"
        "|gedankenkette"
        "|denkprozess"
        "|(internes|inneres|verborgenes|internen|inneren|verborgenen) (denken|schlussfolgern)"
        "|innerer monolog"
        "|(denke|denk|denken sie) schritt für schritt"
        "|schritt[- ]für[- ]schritt[- ](denken|überlegung)"
        "|(zeige|zeig|schreibe|schreib|zeigen sie|schreiben sie) (mir )?(deinen|ihren) (gedankengang|denkprozess)"
    ),
    "rubric": (
        "|评分标准"
        "|评分细则"
        "|(评估|评价|评判|打分)(这个|每个|以下|两个)?(回答|回复)"
        "|哪个(回答|回复)更好"
        "|評価基準"
        "|採点基準"
        "|ルーブリック"
        "|(回答|応答)を(採点|評価)"
        "|どちらの(回答|応答)が(良い|優れ)"
        "|채점 ?기준"
        "|루브릭"
        "|(답변|응답)을 (채점|평가)"
        "|어느 (답변|응답)이 더 (좋|나)"
        "|рубрик"
        "|(оцени|оцените)[а-яё]* (этот |каждый |следующий |оба )?(ответ)"
        "|какой (из )?(двух )?ответ[а-яё]* лучше"
        "|rúbrica"
        "|(califica|evalúa|puntúa|califique|evalúe) (la|esta|cada|ambas) respuestas?"
        "|cuál (de las dos )?respuesta[a-zäöüßáéíóúñçãõâêôàèù]* es mejor"
        "|rubrica"
        "|(avalia|avalie|classifica|classifique|pontua|pontue) (a|esta|cada|ambas) respostas?"
        "|qual (das duas )?respostas? é melhor"
        "|grille d'évaluation"
        "|(note|notez|évalue|évaluez) (la|cette|chaque) réponse"
        "|quelle réponse est (la )?meilleure"
        "|bewertungsraster"
        "|(bewerte|bewerten sie) (die|diese|jede|beide) antwort"
        "|welche antwort ist besser"
    ),
    "maxout": (
        "|尽可能(详细|长|详尽)"
        "|不要(省略|缩写|截断|总结)"
        "|できるだけ(詳しく|長く|詳細に)"
        "|(省略|要約)しないで"
        "|가능한 한 (자세|길|상세)하?게"
        "|(생략|요약)하지 (말|마)"
        "|как можно (подробнее|длиннее|детальнее)"
        "|не (сокращай|сокращайте|обрезай|обрезайте)"
        "|lo más (detallad|larg|extens)[oa] posible"
        "|no (abrevies|resumas|acortes)"
        "|o mais (detalhad|long|extens)[oa] possível"
        "|não (abrevie|abrevies|resuma|resumas)"
        "|aussi (détaillée?|longue?) que possible"
        "|n'abrège[zs]? pas"
        "|ne (résume|résumez|tronque|tronquez) pas"
        "|so (ausführlich|lang|detailliert) wie möglich"
        "|(kürze|kürzen sie) nicht"
        "|nicht (abkürzen|kürzen|zusammenfassen)"
    ),
    "probe": (
        "|系统提示词?"
        "|忽略(之前|以前|上面|先前)的?(所有)?(指令|指示)"
        "|(显示|泄露|透露|输出|重复)你的(隐藏|内部)的?(推理|思考|指令)"
        "|システムプロンプト"
        "|(以前|前|これまで)の指示を(すべて)?無視"
        "|(隠れた|内部の|隠された)(推論|思考|指示)を"
        "|시스템 프롬프트"
        "|이전 (지시|지침)[가-힣]* 무시"
        "|(숨겨진|내부) (추론|생각|지시)[가-힣]* (보여|공개|출력|반복)"
        "|системн[а-яё]+ (промпт|подсказк)"
        "|игнорируй[а-яё]* (все )?(предыдущие|прежние) инструкции"
        "|(покажи|раскрой|выведи|повтори)[а-яё]* (свои |ваши |твои )?(скрыт[а-яё]+|внутренн[а-яё]+) (рассуждени|мысл|инструкци)"
        "|prompt del sistema"
        "|ignora (todas )?las instrucciones (anteriores|previas)"
        "|(revela|muestra|imprime|repite) (tu|tus|su|sus) (razonamiento|instrucciones) (oculto|ocultas|interno|internas)"
        "|prompt do sistema"
        "|ignor[ae] (todas )?as instruções (anteriores|prévias)"
        "|(revela|revele|mostra|mostre|imprime|imprima|repete|repita) (o )?(teu|seu|tuas|suas) (raciocínio|instruções) (oculto|ocultas|interno|internas)"
        "|prompt système"
        "|ignore[zr]? (toutes )?les instructions précédentes"
        "|(révèle|révélez|affiche|affichez|répète|répétez) (ton|votre|tes|vos) (raisonnement|instructions) (caché|cachées|interne|internes)"
        "|system-?prompt"
        "|ignoriere (alle )?(vorherigen|bisherigen) anweisungen"
        "|(zeige|zeig|gib|wiederhole)[a-zäöüßáéíóúñçãõâêôàèù]* (mir )?(dein|deine|ihr|ihre) (verborgenes|internes|verborgenen|internen|versteckten) (denken|anweisungen|überlegungen)"
    ),
}
MARKERS = {name: pattern + MULTILINGUAL.get(name, "") for name, pattern in MARKERS.items()}


def _hash(expr: pl.Expr) -> pl.Expr:
    """Signed 64-bit hash, so ids load as BIGINT in DuckDB and Parquet without overflow."""
    return expr.hash(HASH_SEED).reinterpret(signed=True)


def normalise(text: pl.Expr) -> pl.Expr:
    """Template text: payloads, numbers, quotes, code, links and names become placeholders."""
    out = text
    for pattern, repl in _NORMALISERS:
        out = out.str.replace_all(pattern, repl)
    return out.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def template_key(normalised: pl.Expr) -> pl.Expr:
    """Head and tail of the normalised text: a wrapper's fixed ends, whatever the payload between."""
    return (
        pl.when(normalised.str.len_chars() <= TEMPLATE_HEAD_CHARS + TEMPLATE_TAIL_CHARS)
        .then(normalised)
        .otherwise(
            pl.concat_str(
                [normalised.str.head(TEMPLATE_HEAD_CHARS), pl.lit(" … "), normalised.str.tail(TEMPLATE_TAIL_CHARS)]
            )
        )
    )


def payload(text: pl.Expr) -> pl.Expr:
    """The variable part of a prompt: its labelled fields when it has them, else the whole text."""
    fields = (
        text.str.extract_all(r"(?m)^[A-Za-z]+(?: [A-Za-z]+){0,2}:[ \t]*\S[^\n]*")
        .list.eval(pl.element().str.replace(r"^[^:]*:", ""))
        .list.join(" ")
    )
    return pl.when(fields.str.len_bytes() > 20).then(fields).otherwise(text)


def near_dup_signature(text: pl.Expr, k: int = 3) -> pl.Expr:
    """Bottom-k sketch of the payload's words: small paraphrases usually keep the k smallest word hashes."""
    words = (
        payload(text)
        .str.to_lowercase()
        .str.extract_all(r"[a-z]{4,}")
        .list.eval(pl.element().hash(HASH_SEED).unique().sort().head(k))
    )
    return words.list.eval(pl.element().cast(pl.String)).list.join("-").pipe(_hash)


def capability(normalised: pl.Expr) -> pl.Expr:
    expr = pl.lit("chat")
    for cap in reversed(CAPABILITIES[:-1]):
        expr = pl.when(normalised.str.contains(_CAPABILITY_PATTERNS[cap])).then(pl.lit(cap)).otherwise(expr)
    return expr


def derive_requests(requests: pl.LazyFrame) -> pl.LazyFrame:
    """Per-request derived columns used by the account-day and coordination stages."""
    # Head and tail bound the per-request cost: wrappers and instructions sit at the ends of a prompt.
    long = pl.col("prompt").str.len_chars() > HEAD_CHARS + TAIL_CHARS
    text = (
        pl.when(long)
        .then(
            pl.concat_str([pl.col("prompt").str.head(HEAD_CHARS), pl.lit("\n"), pl.col("prompt").str.tail(TAIL_CHARS)])
        )
        .otherwise(pl.col("prompt"))
    )
    return (
        requests.with_columns(_text=text)
        .with_columns(_norm=normalise(pl.col("_text")), _lower=pl.col("_text").str.to_lowercase())
        .with_columns(
            template_id=template_key(pl.col("_norm")).pipe(_hash),
            prefix_id=pl.col("_norm").str.head(TEMPLATE_HEAD_CHARS).pipe(_hash),
            neardup_sig=near_dup_signature(pl.col("_text")),
            system_prompt_id=pl.when(pl.col("system_prompt").is_not_null()).then(pl.col("system_prompt").pipe(_hash)),
            system_template_id=pl.when(pl.col("system_prompt").is_not_null()).then(
                normalise(pl.col("system_prompt")).pipe(_hash)
            ),
            capability=capability(pl.col("_norm")),
            **{f"m_{name}": pl.col("_lower").str.contains(pattern) for name, pattern in MARKERS.items()},
            prompt_chars=pl.col("prompt").str.len_chars().cast(pl.Int32),
        )
        .drop("_text", "_norm", "_lower", "prompt", "system_prompt")
    )

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


# Deliberate feature change (issue 13 item 5): the same markers phrased in zh, ja, ko, ru, es, pt, fr and de;
# then every marker in every one of them, in more registers and verbs (written apart from the simulator).
# Frozen copy of features/markers.yaml's `languages` at that change, and at the German maximum-length phrasings
# ("so ausführlich und lang, wie du kannst", thousands of words) added after it.
MULTILINGUAL: dict[str, str] = {
    "cot": (
        r"|思维链|思考链|推理链|内心独白|出声思考|大声思考"
        r"|(思考|思维|推理|推导|解题|演算|计算|求解)的?(过程|步骤)|解题思路|(你的|详细的?|完整的?)思路"
        r"|(内部|隐藏|内在|中间|背后)的?(推理|思考|思维)|中间(步骤|过程)|(内部|隐藏)的?步骤"
        r"|(一步一步|一步步|逐步|分步骤?|按步骤|一步接一步)地?(来)?(思考|推理|想|解释|讲解|说明|展示)"
        r"|(展示|写出|列出|说明|解释|给出|讲讲|说说|描述|讲解|呈现|阐述|写下|告诉我)(一下)?(你的|你|每一步的?|完整的?|详细的?|所有的?|全部的?)?(推理|思考|思路|思维|推导)|(展示|写出|列出|给出|呈现|写下)(一下)?(你的|每一步的?|完整的?|详细的?|所有的?|全部的?)?(解题步骤|计算步骤|每一步|每个步骤|所有步骤|详细步骤|中间步骤)"
        r"|(把|将)(你的)?(思考|推理|思路)(过程)?(写|展示|说|讲|列)出来"
        r"|你是(怎么|如何)(想|得出|推出|算出|推导出|得到)(的|这个|答案|结论)"
        r"|思考の連鎖|思考連鎖|思考過程|思考プロセス|推論過程|推論プロセス|内なる独白|内的独白|声に出して考え"
        r"|(思考|推論|考え方|考え)の(過程|流れ|道筋|ステップ|手順)|考えた(過程|道筋|プロセス|流れ)"
        r"|(解答|解法|計算|導出|解き方|証明)の?(過程|プロセス|ステップ)|途中式|途中の(式|計算|過程|ステップ)"
        r"|(ステップ・?バイ・?ステップ|段階的|段階を追って|順を追って|一歩ずつ|一歩一歩|順序立てて|段階を踏んで)(に|で)?[^\n。]{0,8}(考え|推論|思考|説明|解説|示)"
        r"|(推論|思考|思考過程|推論過程|解き方|途中式|計算過程|解答過程|導出過程|あなたの考え方)を(すべて|全て|全部|詳しく|詳細に|順番に|一つずつ|丁寧に)?(示|見せ|書|説明|教え|述べ|記述|明示|出力|開示)"
        r"|(すべての|全ての|各)(ステップ|段階)を(示|見せ|書|説明)|(手順|ステップ)を(すべて|全て|一つずつ)?(示|見せ)"
        r"|(内部|隠れた|隠された|内なる|秘密|中間)の?(推論|思考|ステップ)"
        r"|どのように(考え|推論|解い|導い|計算し)(た|て)|どう(考え|推論)したか"
        r"|(사고|추론|생각|풀이|계산|유도) ?과정|(사고|생각|추론)의 ?(흐름|사슬)|(사고|추론) ?사슬|(추론|풀이|중간) ?단계"
        r"|(단계별로|단계적으로|차근차근|한 단계씩|한 단계 한 단계|한 걸음씩)[^\n.]{0,8}(생각|추론|사고|설명|보여)"
        r"|(추론|풀이|사고 과정|풀이 과정|계산 과정|추론 과정)[을를]? (모두 |전부 |자세히 |단계별로 |하나하나 )?(보여|설명|적어|써|알려|서술|작성|공개|출력)"
        r"|(내부|숨겨진|숨은) ?(추론|사고|생각)|(내면의|내적|내부) ?독백|소리 내어 생각"
        r"|어떻게 (생각|추론|풀|계산|도출)(했|하였)는지|(모든|각) 단계를 (설명|보여|적어|써)|단계를 밟아|스텝 ?바이 ?스텝"
        r"|цепочк[а-яё]* (рассуждени|мысл)|ход[а-яё]* (ваших |своих |твоих |ее |его )?(мысл|рассуждени|решени)"
        r"|(внутренн|скрыт)[а-яё]* (рассуждени|монолог|мысл)|промежуточн[а-яё]* (шаг|этап|выкладк|вычислени|рассуждени)"
        r"|(думай|подумай|рассуждай|порассуждай|размышляй|поразмышляй|объясни|объясняй|покажи|распиши)[а-яё]* [^\n.]{0,20}(шаг за шагом|пошагово|по шагам|поэтапно)"
        r"|(шаг за шагом|пошагово|по шагам|поэтапно),? (думай|подумай|рассужд|порассужд|размышл|поразмышл|объясн|покаж|распиш)"
        r"|пошагов[а-яё]* (рассуждени|размышлени|объяснени)"
        r"|(покажи|опиши|распиши|изложи|объясни|приведи|напиши|выпиши|продемонстрируй|поясни|раскрой)[а-яё]* (мне )?(все |свои |ваши |твои |подробно |подробн[а-яё]+ |полн[а-яё]+ |весь |всё )*(рассуждени|ход (мысл|рассужд|решени)|логику (рассуждени|решени))"
        r"|(покажи|распиши|напиши|выпиши|приведи)[а-яё]* (мне )?(подробно )?(каждый шаг|все шаги|шаги решения|промежуточн|вычислени)"
        r"|как (ты|вы) (пришёл|пришел|пришла|пришли|дошёл|дошел|дошли) к (этому |такому |своему )?(ответу|выводу|решению|результату)"
        r"|(думай|рассуждай|размышляй)[а-яё]* вслух|обоснуй[а-яё]* каждый шаг"
        r"|cadena de (pensamiento|razonamiento)|proceso (de|del) (pensamiento|razonamiento|resolución)|monólogo interno"
        r"|razonamiento (interno|oculto|intermedio|completo|detrás)|pasos intermedios|cálculos intermedios"
        r"|(piensa|piense|razona|razone|pensemos|razonemos|explica|explícame|explique|explíqueme|muestra|muéstrame|muestre|muéstreme)[^\n.]{0,20}paso (a|por) paso"
        r"|(razonamiento|pensamiento|explicación) paso (a|por) paso"
        r"|(pensar|razonar|explicar|mostrar)[^\n.]{0,20}paso (a|por) paso"
        r"|(muestra|muéstrame|muestre|muéstreme|explica|explícame|explique|explíqueme|escribe|escríbeme|escriba|detalla|detállame|detalle|desarrolla|desarrolle|describe|describa|expón|exponga|comparte|comparta|enséñame|dime)( me)? (todo |todos )?(tu|su|tus|sus) (razonamiento|proceso|pasos|lógica|pensamiento|cálculos)"
        r"|(muestra|muéstrame|muestre|muéstreme|escribe|escriba|detalla|detállame|detalle|desarrolla|desarrolle)( me)? (todo el|todos los|el|los|cada uno de los|cada) (razonamiento|pasos|paso|cálculos)|(explica|explícame|explique|explíqueme) (todo el razonamiento|el razonamiento|cada paso|todos los pasos)"
        r"|cómo (llegaste|llegó|has llegado|ha llegado) a (la|esa|tu|su|esta) (respuesta|conclusión|solución|resultado)"
        r"|(piensa|razona|piense|razone) en voz alta|justifica cada paso|justifique cada paso"
        r"|cadeia de (pensamento|raciocínio)|processo de (pensamento|raciocínio|resolução)|linha de raciocínio|monólogo interno"
        r"|raciocínio (interno|oculto|intermediário|intermédio|completo)|(passos|etapas|cálculos) (intermediári|intermédi)[oa]s"
        r"|(pensa|pense|raciocina|raciocine|pensemos|raciocinemos|explica|explique|explica-me|explique-me|me explique|mostra|mostre|mostra-me|mostre-me|me mostre)[^\n.]{0,20}(passo a passo|passo por passo|etapa por etapa)"
        r"|(raciocínio|pensamento|explicação) (passo a passo|etapa por etapa)"
        r"|(pensar|raciocinar|explicar|mostrar)[^\n.]{0,20}(passo a passo|passo por passo|etapa por etapa)"
        r"|(mostra|mostre|mostra-me|mostre-me|me mostre|explica|explique|explica-me|explique-me|me explique|escreve|escreva|detalha|detalhe|descreve|descreva|apresenta|apresente|expõe|exponha|diz-me|diga-me)( me)? (todo |todos )?(o |os |a |as )?(teu|seu|tua|sua|teus|seus|tuas|suas) (raciocínio|processo|passos|lógica|pensamento|cálculos|etapas|linha de raciocínio)"
        r"|(mostra|mostre|mostra-me|mostre-me|me mostre|escreve|escreva|detalha|detalhe)( me)? (todo o|todos os|o|os|cada um dos|cada) (raciocínio|passos|passo|cálculos)|(explica|explique|explica-me|explique-me|me explique) (todo o raciocínio|o raciocínio|cada passo|todos os passos)"
        r"|como (chegaste|chegou|você chegou) (a|à|ao|nesta|nessa|a essa|a esta) ?(resposta|conclusão|solução|resultado)"
        r"|(pensa|pense|raciocina|raciocine) em voz alta|justifica cada passo|justifique cada passo"
        r"|chaîne de (pensée|raisonnement)|processus de (pensée|réflexion|raisonnement|résolution)|monologue (intérieur|interne)"
        r"|raisonnement (interne|caché|intermédiaire|sous-jacent|complet)|(étapes|calculs) intermédiaires|cheminement (de pensée|logique)|(ton|votre) cheminement"
        r"|(réfléchis|réfléchissez|réfléchissons|raisonne|raisonnez|raisonnons|pense|pensez|explique|expliquez|explique-moi|expliquez-moi|montre|montrez|montre-moi|montrez-moi)[^\n.]{0,20}(étape par étape|pas à pas)"
        r"|(raisonnement|réflexion|explication) (étape par étape|pas à pas)"
        r"|(réfléchir|raisonner|penser|expliquer|montrer)[^\n.]{0,20}(étape par étape|pas à pas)"
        r"|(montre|montrez|montre-moi|montrez-moi|détaille|détaillez|explique|expliquez|explique-moi|expliquez-moi|expose|exposez|écris|écrivez|décris|décrivez|présente|présentez|donne-moi|donnez-moi|développe|développez) (tout |toutes |chacune des |chaque )?(ton|votre|tes|vos) (raisonnement|démarche|cheminement|réflexion|étapes|logique|calculs|pensée)"
        r"|(montre|montrez|montre-moi|montrez-moi|détaille|détaillez|écris|écrivez) (toutes les|chaque|chacune des|le|les) (raisonnement|étapes|étape|calculs)|(explique|expliquez|explique-moi|expliquez-moi) (le raisonnement|chaque étape|toutes les étapes)"
        r"|comment (es-tu|êtes-vous|tu es|vous êtes) (arrivée?s?|parvenue?s?) (à|a) (cette|ta|votre|la) (réponse|conclusion|solution|résultat)"
        r"|(pense|pensez|réfléchis|réfléchissez|raisonne|raisonnez) à (haute )?voix|justifie chaque étape|justifiez chaque étape"
        r"|gedankenkette|denkprozess|gedankengang|denkweg|lösungsweg|rechenweg|denkschritte|gedankenschritte|zwischenschritte|innerer monolog"
        r"|(internes|inneres|verborgenes|verstecktes|internen|inneren|verborgenen|versteckten) (denken|schlussfolgern|überlegungen|argumentieren)"
        r"|(denke|denk|denken|überlege|überleg|überlegen|argumentiere|erkläre|erklär|erklären|zeige|zeig|zeigen)[^\n.]{0,20}(schritt für schritt|schrittweise|schritt-für-schritt)"
        r"|(schritt-für-schritt|schrittweise)[- ](denken|überlegung|argumentation|erklärung)"
        r"|(schritt für schritt|schrittweise) (denken|überlegen|nachdenken|durchdenken|erklären|zeigen)"
        r"|(zeige|zeig|zeigen sie|schreibe|schreib|schreiben sie|lege|leg|legen sie)( mir)?( bitte)? (deinen|ihren|den|deine|ihre|alle|jeden|die einzelnen|sämtliche)( kompletten| vollständigen| einzelnen| ganzen)? (gedankengang|denkprozess|lösungsweg|rechenweg|überlegungen|schritte|zwischenschritte|denkschritte|argumentation)"
        r"|(erkläre|erklär|erklären sie|beschreibe|beschreiben sie)( mir)?( bitte)? (deinen|ihren|den|deine|ihre|alle|die einzelnen|sämtliche)( kompletten| vollständigen| einzelnen| ganzen)? (gedankengang|denkprozess|lösungsweg|rechenweg|überlegungen|zwischenschritte|denkschritte|argumentation)|(erkläre|erklär|erklären sie) jeden (einzelnen )?schritt"
        r"|wie (bist du|sind sie) (darauf|auf (diese|die|deine|ihre) (antwort|lösung|schlussfolgerung)|zu (diesem|dem|deinem|ihrem) (ergebnis|schluss)) gekommen"
        r"|(denke|denk|denken sie) laut|laut denken|begründe jeden schritt|begründen sie jeden schritt"
    ),
    "rubric": (
        r"|评分(标准|细则|量表|规则|准则|表)|打分(标准|规则)|评判标准|奖励模型|(作为|充当|扮演)(一名|一个|一位)?(评委|裁判|评分员|评估员|评审员?)"
        r"|(给|为|对)(这个|这条|该|每个|每条|以下|下面的?|两个|这两个|所有|上述|各个)?(回答|回复|答案|输出|响应|答复)(进行)?(打分|评分|评级|打个分)"
        r"|(评估|评价|评判|打分|评分|比较)(一下)?(这个|这条|该|每个|每条|以下|下面的?|两个|这两个|所有|上述|各个)?(回答|回复|响应|答复)|(评估|评价|评判|比较)(一下)?(这个|这条|该|每个|以下|下面的?|两个|这两个)(答案|输出)"
        r"|哪(个|一个|条|一条)(回答|回复|答案|响应|输出)(更好|更优|更佳|质量更高|更准确|更合适)"
        r"|(回答|回复|响应) ?[ab]([^a-z]|$)|满分[0-9]+分|(从|按照?|用|以|采用)[0-9]+ ?(到|至|-|~) ?[0-9]+ ?分|(按照?|用|以|采用)[0-9]+分制"
        r"|評価基準|採点基準|ルーブリック|採点表|評価尺度|採点者|(評価者|審査員|採点者|審判)として|報酬モデル"
        r"|(回答|応答|答え|出力|返答|解答)(を|に)(採点|評価|点数|スコア|格付け)"
        r"|(各|それぞれの|両方の|以下の|次の|この|[2２]つの)(回答|応答|答え|出力)を(比較|採点|評価)"
        r"|どちらの(回答|応答|答え|出力)が(良い|よい|優れ|より良|より適切|適切|正確|好まし)"
        r"|点満点|段階評価|段階で評価|点で評価|点で採点|(尺度|スケール)で(採点|評価|点数)|(回答|応答) ?[aａbｂ]([^a-z]|$)"
        r"|채점 ?기준|루브릭|채점표|평가 ?척도|채점자|(심사위원|평가자|채점자|심판)(으로서|로서)|보상 ?모델"
        r"|(답변|응답|대답|답안|출력)[을를]? (채점|평가|점수)|(각|두|이|다음|아래|모든) (답변|응답|대답|답안)[을를에]? ?(채점|평가|점수|비교)"
        r"|어느 (답변|응답|대답|답안)[이가]? 더 (좋|나|우수|낫|적절|정확)"
        r"|점 만점|점 척도|척도로 (평가|채점|점수)|(답변|응답) ?[ab]([^a-z]|$)"
        r"|рубрик|критери[а-яё]* оценивани|оценочн[а-яё]* (шкал|критери|лист)|асессор|в роли (судьи|оценщика|эксперта-оценщика|асессора)"
        r"|шкал[а-яё]* (от|с) [0-9]+ до [0-9]+|по [0-9]+-?(балльной|бальной|точечной) шкале"
        r"|(поставь|поставьте|выстави|выставь|дай|дайте)[а-яё]* (оценку|балл|баллы|оценки)[^\n.]{0,20}ответ"
        r"|(оцени|оцените|сравни|сравните)[а-яё]* (этот |каждый |следующий |оба |данный |приведённый |приведенный |эти |следующие |два |данные )?(ответ|ответы)"
        r"|какой (из )?(двух |этих |обоих )?ответ[а-яё]* (лучше|точнее|качественнее|предпочтительнее)|ответ [ab]([^a-z]|$)|ответ [аб][:)]"
        r"|rúbrica|escala de (evaluación|calificación|puntuación)|(como|actúa como|actúe como) (un )?(juez|evaluador|calificador)|modelo de recompensa"
        r"|(califica|evalúa|puntúa|valora|juzga|califique|evalúe|puntúe|valore|juzgue|compara|compare)( cada una de)? (la|esta|cada|ambas|las|estas|estas dos|las dos|la siguiente|las siguientes) respuestas?"
        r"|(nota|puntuación|calificación) (a|para) (cada|esta|la) respuesta|cu[aá]l (de las (dos|siguientes) )?respuestas? es (la )?mejor|qué respuesta es (la )?mejor"
        r"|escala (del?) [0-9]+ (al?) [0-9]+|respuesta [ab][:)]|respuesta b([^a-z]|$)|respuestas a y b"
        r"|rubrica|rúbrica|escala de (avaliação|pontuação|classificação)|(como|atua como|aja como|atue como|age como) (um )?(juiz|avaliador|corretor)|modelo de recompensa"
        r"|(avali|classifiqu|classific|pontu|julg|compar)[a-zãç]* (a|esta|essa|cada|ambas as|ambas|as|estas|essas|as duas|a seguinte|as seguintes) respostas?"
        r"|(nota|pontuação) (a|à|para) (cada |esta |essa |a )?resposta|qual (das (duas|seguintes) )?respostas? é (a )?melhor"
        r"|escala de [0-9]+ a [0-9]+|nota de [0-9]+ a [0-9]+|resposta [ab][:)]|resposta b([^a-z]|$)|respostas a e b"
        r"|grille d['’](évaluation|notation)|grille de (notation|correction)|barème de (notation|correction)|en tant que (juge|correcteur|évaluateur)|agis(sez)? comme (un )?(juge|correcteur|évaluateur)|modèle de récompense"
        r"|(note|notez|évalue|évaluez|juge|jugez|compare|comparez) (la|cette|chaque|les|ces|les deux|chacune des) réponses?|(attribue|attribuez|donne|donnez) une note à (la|cette|chaque) réponse"
        r"|quelle (réponse|des (deux )?réponses) est (la )?meilleure|laquelle des (deux )?réponses"
        r"|sur une échelle de [0-9]+ à [0-9]+|réponse [ab][:)]|réponse b([^a-z]|$)|réponses a et b"
        r"|bewertungsraster|bewertungsschema|bewertungsmaßstab|benotungsschema|als (richter|gutachter|bewerter|prüfer)|belohnungsmodell|reward-modell"
        r"|(bewerte|bewerten sie|beurteile|beurteilen sie|benote|benoten sie|vergleiche|vergleichen sie) (die|diese|jede|beide|folgende|die folgende|die beiden|alle) antwort"
        r"|welche (der (beiden |folgenden )?)?antwort(en)? ist (die )?besser"
        r"|auf einer skala von [0-9]+ bis [0-9]+|-punkte-skala|antwort [ab][:)]|antwort b([^a-z]|$)|antworten a und b"
    ),
    "lang_coercion": (
        r"|(用|以|使用)(英文|英语|中文|汉语|普通话|俄语|俄文|法语|法文|西班牙语|德语|德文|日语|日文|韩语|韩文|葡萄牙语)(来|进行)?(思考|推理|写(出)?(你的)?(推理|思考))"
        r"|(推理|思考|思维)(过程)?(要|请|必须|都|只能|全部)?(用|以|使用)(英文|英语|中文|汉语|俄语|法语|西班牙语|德语|日语|韩语|葡萄牙语)"
        r"|(只|仅|只能|一律)(用|以|使用)(英文|英语|中文|汉语|俄语|法语|西班牙语|德语|日语|韩语|葡萄牙语)(来)?(回答|回复|作答|输出|答复)"
        r"|(把|将)(你的)?(推理|思考)(过程)?翻译成"
        r"|(英語|中国語|日本語|韓国語|ロシア語|フランス語|スペイン語|ドイツ語|ポルトガル語)で(考え|推論|思考)"
        r"|(推論|思考|考え)(過程|プロセス)?[^\n。]{0,10}(英語|中国語|日本語|韓国語|ロシア語|フランス語|スペイン語|ドイツ語|ポルトガル語)で"
        r"|(英語|中国語|日本語|韓国語|ロシア語|フランス語|スペイン語|ドイツ語|ポルトガル語)(だけ|のみ)で(回答|答え|返答|応答|出力)"
        r"|(推論|思考)(過程)?を[^\n。]{0,6}(英語|中国語|日本語|韓国語|ロシア語|フランス語|スペイン語|ドイツ語|ポルトガル語)に(翻訳|訳)"
        r"|(영어|중국어|한국어|일본어|러시아어|프랑스어|스페인어|독일어|포르투갈어)로 (생각|추론|사고)"
        r"|(추론|생각|사고)(\s?과정)?[을를은는]?[^\n.]{0,10}(영어|중국어|한국어|일본어|러시아어|프랑스어|스페인어|독일어|포르투갈어)로"
        r"|(영어|중국어|한국어|일본어|러시아어|프랑스어|스페인어|독일어|포르투갈어)로만 (답|대답|응답|작성|출력)"
        r"|(думай|подумай|рассуждай|размышляй|мысли)[а-яё]* (только )?(на (английском|китайском|русском|французском|испанском|немецком|японском|корейском|португальском)|по-(английски|китайски|русски|французски|испански|немецки|японски|корейски|португальски))"
        r"|(рассуждени|ход мысл|мысли|монолог)[а-яё]*[^\n.]{0,30}(на (английском|китайском|русском|французском|испанском|немецком|японском|корейском|португальском)|по-(английски|китайски|русски|французски|испански|немецки|японски|корейски|португальски))"
        r"|отвеча[а-яё]* только (на (английском|китайском|русском|французском|испанском|немецком|японском|корейском|португальском)|по-(английски|китайски|русски|французски|испански|немецки|японски|корейски|португальски))"
        r"|перевед[а-яё]* (свои |твои |ваши )?(рассуждени|ход мысл)"
        r"|(piensa|piense|razona|razone|razonamiento|pensamiento|monólogo)[^\n.]{0,40} en (inglés|chino|mandarín|ruso|francés|español|alemán|japonés|coreano|portugués)"
        r"|respond[a-z]* (solo|sólo|solamente|únicamente) en (inglés|chino|mandarín|ruso|francés|español|alemán|japonés|coreano|portugués)"
        r"|traduc[a-z]* (tu|su) razonamiento"
        r"|(pensa|pense|raciocina|raciocine|raciocínio|pensamento|monólogo)[^\n.]{0,40} em (inglês|chinês|mandarim|russo|francês|espanhol|alemão|japonês|coreano|português)"
        r"|respond[a-z]* (só|somente|apenas|unicamente) em (inglês|chinês|mandarim|russo|francês|espanhol|alemão|japonês|coreano|português)"
        r"|traduz[a-z]* (o )?(teu|seu) raciocínio"
        r"|(réfléchis|réfléchissez|raisonne|raisonnez|pense|pensez|raisonnement|pensée|réflexion|monologue)[^\n.]{0,40} en (anglais|chinois|mandarin|russe|français|espagnol|allemand|japonais|coréen|portugais)"
        r"|répond[a-z]* (uniquement|seulement|exclusivement) en (anglais|chinois|mandarin|russe|français|espagnol|allemand|japonais|coréen|portugais)"
        r"|tradui[a-z]* (ton|votre) raisonnement"
        r"|(denke|denk|denken sie|überlege|überlegen sie|gedankengang|denkprozess|überlegungen|argumentation|monolog|begründung)[^\n.]{0,40} auf (englisch|chinesisch|mandarin|russisch|französisch|spanisch|deutsch|japanisch|koreanisch|portugiesisch)"
        r"|antworte[a-z]*( sie)? (nur|ausschließlich|ausschliesslich) auf (englisch|chinesisch|mandarin|russisch|französisch|spanisch|deutsch|japanisch|koreanisch|portugiesisch)"
        r"|übersetze[a-z]*( sie)? (deinen|ihren) (gedankengang|denkprozess)"
    ),
    "maxout": (
        r"|(尽可能|尽量|务必)(地)?(详细|长|详尽|全面|完整|冗长|多写)|越(长|详细|详尽)越好|事无巨细|详尽无遗|巨细靡遗"
        r"|(不要|不得|不能|不可|切勿|别)(省略|缩写|截断|总结|简化|跳过|概括|删减|精简)|不(省略|跳过)任何"
        r"|最大(长度|篇幅)|(每一个|每个)细节"
        r"|(できるだけ|できる限り|可能な限り|なるべく)(詳しく|長く|詳細に|丁寧に|網羅的に|具体的に|長文で)|長ければ長いほど|余すところなく|細部まで|漏れなく"
        r"|(省略|要約|短縮|割愛)(しないで|せずに?|しないこと|は不要|禁止)|(端折|省か)(らず|ず|ないで)"
        r"|最大(の)?(長さ|文字数)"
        r"|(가능한 한|최대한|되도록|될 수 있는 한) (자세|길|상세|구체|길게|자세히|상세히|구체적으로|꼼꼼)|길수록 좋|(하나도 )?빠짐없이"
        r"|(생략|요약|축약|단축)하지 (말|마)|(줄이|건너뛰|빼먹)지 (말|마)"
        r"|최대 (길이|분량)"
        r"|как можно (подробнее|длиннее|детальнее|полнее|развёрнутее|развернутее|обстоятельнее)|как можно более (подробн|развёрнут|развернут|детальн|полн|обстоятельн)|максимально (подробн|развёрнут|развернут|детальн|длинн|полн|обстоятельн)"
        r"|не (сокращай|обрезай|пропускай|резюмируй|урезай|упрощай|опускай)[а-яё]*|без (сокращений|пропусков|упрощений)"
        r"|во всех (подробностях|деталях)|самый (подробный|развёрнутый|развернутый|длинный) ответ|каждую (деталь|подробность)|чем длиннее,? тем лучше|максимальн[а-яё]* (длин|объ[её]м)"
        r"|lo más (detallad|larg|extens|complet|exhaustiv)[oa]s? (que sea posible|posible|que puedas|que pueda|que puedan)|(con el|al) máximo (de )?detalle|extiéndete (todo )?lo (posible|que puedas)|(de la|de) (manera|forma) más (detallada|extensa|completa|exhaustiva) (posible|que puedas)|con todo detalle|no te dejes nada|sin dejar nada fuera|tan (detallad|larg|extens|complet)[oa]s? como (sea )?posible|(mientras|cuanto) más larg[oa],? mejor"
        r"|no (abrevies|resumas|acortes|omitas|recortes|te saltes|simplifiques|trunques|abrevie|resuma|omita|acorte|recorte|simplifique)|sin (omitir|saltarte|saltar|resumir|abreviar|recortar) (nada|ningún|ninguna)"
        r"|cada detalle|con todo lujo de detalles|longitud máxima|máxima extensión|de forma exhaustiva"
        r"|o mais (detalhad|long|extens|complet|exaustiv)[oa]s? (possível|que puderes|que puder|que conseguir|que conseguires)|(com o|ao) máximo de detalhe|(da|de) (forma|maneira) mais (detalhada|extensa|completa|exaustiva) (possível|que puderes|que puder)|tão (detalhad|long|extens|complet)[oa]s? quanto possível|quanto mais longo,? melhor"
        r"|não (abrevie|abrevies|resuma|resumas|omita|omitas|corte|cortes|encurte|encurtes|pule|pules|simplifique|simplifiques|trunque|salte|saltes)|sem (omitir|pular|resumir|abreviar|cortar|saltar) (nada|nenhum|nenhuma)"
        r"|cada detalhe|comprimento máximo|de forma exaustiva|nos mínimos detalhes"
        r"|aussi (détaillée?s?|longue?s?|complète?s?|exhaustive?s?) que (possible|tu peux|vous pouvez|vous le pouvez)|le plus (détaillé|long|complet|exhaustif)e?s? (possible|que tu peux|que vous pouvez)|plus c['’]est long,? mieux c['’]est"
        r"|n['’](abrège|abrégez|omets|omettez|écourte|écourtez)[sz]? (rien|pas)|ne (résume|résumez|tronque|tronquez|saute|sautez|coupe|coupez|simplifie|simplifiez|raccourcis|raccourcissez) (rien|pas)|sans (rien )?(omettre|sauter|résumer|abréger|tronquer)"
        r"|chaque détail|dans les moindres détails|la plus (détaillée|complète|exhaustive|longue) possible|n['’](omets|omettez) aucun|longueur maximale|de (manière|façon) exhaustive"
        r"|so (ausführlich|lang|detailliert|umfassend|vollständig)( und (ausführlich|lang|detailliert|umfassend|vollständig))?,? wie (nur )?(möglich|du kannst|sie können|es geht)|mindestens \d[\d.]{3,} (wörter|wörtern|token|tokens)|in aller ausführlichkeit|maximal (ausführlich|detailliert|lang)|keine (zusammenfassung|kürzungen|auslassungen)|möglichst (ausführlich|lang|detailliert|umfassend|vollständig)|je länger,? desto besser|bis ins (kleinste )?detail|erschöpfend"
        r"|(kürze|kürz|kürzen sie) nichts?|(fasse|fass|fassen sie) (nichts|nicht) zusammen|(lass|lasse|lassen sie) (keine details|keine schritte|nichts)[^\n.]{0,20} (aus|weg)|nicht (abkürzen|kürzen|zusammenfassen|auslassen|überspringen|weglassen)|(lass|lasse|lassen sie) nichts (aus|weg)|ohne (etwas )?(auszulassen|zu überspringen|abzukürzen|zusammenzufassen)"
        r"|jedes (einzelne )?detail|jede einzelheit|in allen einzelheiten|ausführlichst|lückenlos|keine (details|einzelheiten|schritte) (auslassen|weglassen|überspringen)|maximale länge"
    ),
    "rewrite": (
        r"|政治敏感|敏感(话题|词|议题)|(内容|言论)(审查|审核)|(通过|规避|绕过|逃避|躲过)(内容)?(审查|审核|过滤|监管)|过审|和谐掉"
        r"|(监管|审查|审核)(机构|部门|人员)?(可以|能够)?(接受|通过)|符合(监管|审查|审核)(的)?要求|争议(领土|地区)|领土争议"
        r"|(删除|删掉|去掉|移除|去除)[^\n。]{0,8}(官员|抗议|示威|敏感)"
        r"|(改写|重写|重新写|换个说法|改一下)[^\n。]{0,20}(通过|审核|审查|敏感|拒绝|拒答)|(去掉|删除|删掉|移除|不要)[^\n。]{0,6}(拒绝|拒答)"
        r"|検閲(を)?(回避|通過|すり抜け|逃れ|避け)|検閲に(通|引っかから|かからな)|検閲されない|政治的に(敏感|センシティブ|デリケート)"
        r"|(内容|コンテンツ)?審査に(通|合格|パス)|審査を(通|パス|通過)|規制当局[^\n。]{0,6}(受け入れ|認め|許容)|係争地|領有権(争い|問題|紛争)"
        r"|(拒否|拒絶|お断り)[^\n。]{0,10}(書き直|書き換|削除|消し|取り除)|(抗議|デモ|役人|当局|官僚)[^\n。]{0,6}(への)?(言及|記述)を(削除|消|取り除|省)"
        r"|검열[을를]? (통과|피|회피|우회)|검열에 (걸리지|안 걸리|통과)|정치적으로 (민감|예민)|민감한 (정치|사안|주제)"
        r"|(콘텐츠|내용) ?(심사|검토|심의)[를을]? (통과|피)|심의를? 통과|규제 ?(당국|기관)[이가]? (수용|받아들|허용)|분쟁 (지역|영토)|영토 분쟁"
        r"|(거절|거부)[^\n.]{0,10}(다시 써|다시 작성|재작성|바꿔|제거|삭제|없애|빼)|(시위|관리|공무원|당국)[^\n.]{0,10}(언급|내용)[을를]? (삭제|제거|빼)"
        r"|(пройти|прош[её]л|прошла|прошло|проходил[а-яё]*|обойти|обход|избежать|миновать|пропустила?)[а-яё]* (бы )?(цензур|модераци|проверку)|без цензуры|политически (чувствительн|остр|щекотлив)"
        r"|(приемлем|допустим)[а-яё]* для (регулятор|цензор|надзорн|власт)|спорн[а-яё]* территори"
        r"|(убери|удали|уберите|удалите|вычеркни)[а-яё]* (все )?(упоминани|ссылк)[а-яё]* (о |об |на )?(чиновник|протест|митинг|власт|демонстрац)"
        r"|(перепиши|переформулируй|перефразируй)[а-яё]*[^\n.]{0,40}(отказ|цензур|модерац|чувствительн|запрет)|(убери|удали|уберите|удалите)[а-яё]* (свой |этот )?отказ"
        r"|(pasar|pase|supere|superar|evitar|evite|esquivar|burlar|eludir) (la |una |el )?(censura|moderación|revisión de contenido|filtro)|sin censura|políticamente (sensible|delicad)"
        r"|aceptable para (los )?(reguladores|censores|autoridades)|territorios? (en disputa|disputados?)"
        r"|(elimina|quita|borra|suprime|elimine|quite|borre|suprima)[a-z]* (las |toda |todas las )?(referencias|menciones) a (los )?(funcionarios|protestas|manifestaciones|autoridades)"
        r"|(reescribe|reformula|reescriba|reformule)[^\n.]{0,40}(rechaz|negativa|censur|moderaci|sensible|filtr)|(elimina|quita|elimine|quite) (la |tu |su )?(negativa|rechazo)"
        r"|(passar|passe|passa|evitar|evite|driblar|burlar|contornar) (na |pela |a )?(censura|moderação|revisão de conteúdo|filtro)|sem censura|politicamente (sensível|sensíveis|delicad)"
        r"|aceitável para (os )?(reguladores|censores|autoridades)|territórios? (em disputa|disputados?)"
        r"|(remova|remove|retire|retira|tire|tira|apague|apaga|elimine|elimina)[a-z]* (as |todas as )?(referências|menções) a (os )?(funcionários|autoridades|protestos|manifestações)"
        r"|(reescreva|reescreve|reformule|reformula)[^\n.]{0,40}(recus|censur|modera|sensív|filtr)|(remova|remove|retire|retira|tire|tira) (a |tua |sua )?recusa"
        r"|(passer|passe|contourner|contourne|éviter|évite|échapper à) (la |le )?(censure|modération|filtre|contrôle du contenu)|sans censure|politiquement (sensible|délicat)"
        r"|acceptables? (pour|aux yeux des?) (les )?(régulateurs|censeurs|autorités)|territoires? (contestés?|disputés?|en litige)"
        r"|(supprime|retire|enlève|efface)[sz]? (les |toutes les )?(références|mentions) (aux|à|des) (fonctionnaires|responsables|manifestations|protestations)"
        r"|(réécris|reformule|réécrivez|reformulez)[^\n.]{0,40}(refus|censur|modération|sensible|filtre)|(supprime|retire|enlève)[sz]? (le |ton |votre )?refus"
        r"|zensur (umgehen|umgeht|bestehen|besteht|passieren|passiert)|(an|durch) der zensur vorbei|ohne zensur|zensursicher|politisch (heikel|sensibel|brisant)"
        r"|(inhaltsprüfung|inhaltsmoderation|moderation|prüfung) (bestehen|besteht|passiert|passieren)|für (die )?(regulierungsbehörden|aufsichtsbehörden|zensoren|behörden) (akzeptabel|annehmbar)|umstrittene[ns]? (gebiet|territori)"
        r"|(entferne|entfern|lösche|streiche)[a-z]* (alle )?(verweise|hinweise|erwähnungen) auf (beamte|funktionäre|proteste|demonstrationen)"
        r"|(umschreiben|neu schreiben|umformulieren|schreibe[^\n.]{0,30} um|formuliere[^\n.]{0,30} um)[^\n.]{0,40}(ablehnung|verweigerung|zensur|filter)|(entferne|entfern|streiche) (die |deine |ihre )?(ablehnung|weigerung|verweigerung)"
    ),
    "probe": (
        r"|系统提示词|(你的|隐藏的?|初始的?)系统提示|系统提示的?(内容|全文|原文)|(泄露|透露|输出|显示|重复|告诉我)(你的)?系统提示|(初始|预设|隐藏|原始)的?(指令|提示词)|开发者模式"
        r"|(忽略|无视|忘记|忘掉|不要理会)(之前|以前|上面|先前|前面|上述|以上|所有|全部)的?(所有|全部|一切)?(指令|指示|提示|规则|设定|要求)"
        r"|(显示|泄露|透露|输出|重复|告诉我|打印|公开|展示|复述)(一下)?你的(隐藏|内部|原始|初始|完整|全部)?的?(推理|思考|指令|指示|提示词|设定|规则)|(原样|逐字)地?(输出|重复|复述)(你的)?(系统|初始|原始|全部)?的?(提示词?|指令|设定)"
        r"|你(是|用的是|基于|属于)(哪个|什么|哪一个|哪家公司的|哪家)(大|语言)?(模型|版本)|你的底层模型|(你会|你)(拒绝|不能回答|不会回答|不回答)(哪些|什么)"
        r"|システムプロンプト|初期(指示|プロンプト)|隠し(指示|プロンプト)|開発者モード"
        r"|(以前|前|これまで|上記|先ほど|今まで|それまで)の(すべての|全ての)?(指示|命令|指令|ルール)を(すべて|全て)?(無視|忘れ)|指示を(すべて|全て)?無視"
        r"|(隠れた|内部の|隠された|秘密の)(推論|思考|指示|プロンプト)|(あなたの|君の)(指示|プロンプト|設定|ルール)を(そのまま|一字一句|全文|すべて)?(表示|出力|教え|開示|繰り返|見せ)"
        r"|(あなた|君)は(どの|何の|なんの|どこの)(モデル|ai|言語モデル)|どの(モデル|ai)(を使って|に基づ|ですか)|(何を|どんな(質問|内容|話題)を)拒否"
        r"|시스템 ?(프롬프트|메시지|지침|지시문)|초기 (지시|프롬프트)|숨겨진 (지시|프롬프트|지침)|개발자 모드|(너의|당신의|네) (지침|지시사항|프롬프트|규칙)[을를]? (보여|알려|출력|공개)"
        r"|(이전|앞|위|앞선|위의|기존|지금까지)의? (모든 )?(지시|지침|명령|지시사항|규칙|설정)[가-힣]* (무시|잊)|(이전|앞|위|앞선|지금까지)의? (지시|지침|명령)[은는을를]? (모두|전부|다) (무시|잊)|(지시|지침|명령)[을를]? (모두 |전부 )?무시|네가 받은 (지시|지침|프롬프트)"
        r"|(숨겨진|내부) (추론|생각|지시|지침)[가-힣]* (보여|공개|출력|반복|알려)|(프롬프트|지시|지침)[을를]? (그대로|원문 그대로|전부|모두) (보여|출력|알려|공개|반복)"
        r"|(너|당신)[은는]? (어떤|무슨|어느) (ai |언어 )?모델|어떤 (ai |언어 )?모델(이야|이니|이에요|인가요|입니까|을 사용|을 기반)|무엇을 거절|(거절|거부)하는 (질문|주제|내용|요청)|(답하지|대답하지) 않는 (질문|주제)"
        r"|системн[а-яё]+ (промпт|подсказк|инструкци)|режим разработчика"
        r"|(игнорируй|проигнорируй|забудь|игнорируйте|проигнорируйте|забудьте)[а-яё]* (все )?(предыдущие |прежние |вышеуказанные |прошлые |свои |данные ранее |все )?(инструкци|указани|правил|команд)"
        r"|(покажи|раскрой|выведи|повтори|напиши|процитируй)[а-яё]* (мне )?(свои |ваши |твои )?(скрыт|внутренн|исходн|начальн|системн)[а-яё]* (рассуждени|мысл|инструкци|промпт|указани|настройк)"
        r"|(какая|какой) (ты|вы) (модель|нейросеть|версия)|на (какой|чьей) модели (ты|вы)|какая модель (ты|вы|отвечает)|(что|какие (запросы|темы|вопросы)) (ты|вы) отказыва"
        r"|(prompt|mensaje|instrucciones) (del|de) sistema|modo desarrollador|(tus|sus) instrucciones (iniciales|originales|ocultas|secretas)|olvida todo lo anterior|ignora todo lo anterior"
        r"|(ignora|ignore|olvida|olvide|ignorá|olvidá)[a-z]* (todas )?(las )?(instrucciones|indicaciones|órdenes|reglas) (anteriores|previas|de arriba|que te dieron)"
        r"|(revela|revele|muestra|muestre|muéstrame|imprime|imprima|repite|repita|dime|escribe)[a-z]* (tu|tus|su|sus|las|el) (razonamiento|instrucciones|prompt|indicaciones|configuración) (ocult|intern|inicial|original|secret|del sistema|exact|literal)"
        r"|qué modelo (eres|de lenguaje eres|usas|utilizas)|en qué modelo (estás|te) bas|qué (temas|preguntas|cosas|solicitudes) (te niegas|rechazas|no puedes responder)"
        r"|(prompt|mensagem|instruções) (do|de) sistema|modo desenvolvedor|modo de programador|(tuas|suas) instruções (iniciais|originais|ocultas|secretas)|(esquece|esqueça|ignora|ignore) tudo (o que foi dito )?antes"
        r"|(ignora|ignore|esquece|esqueça)[a-z]* (todas )?(as )?(instruções|indicações|ordens|regras) (anteriores|prévias|acima)"
        r"|(revela|revele|mostra|mostre|imprime|imprima|repete|repita|diz|diga)[a-z-]* (o |a |os |as )?(teu|seu|tuas|suas|teus|seus|tua|sua) (raciocínio|instruções|prompt|configuração|configurações) (ocult|intern|inicia|origina|secret|do sistema|exat)"
        r"|que modelo (és|é você|você é|usas|usa)|qual (é )?(o )?(teu|seu) modelo|em que modelo (és|é|você é) basead|(que|quais) (temas|perguntas|assuntos|pedidos) (recusas|você recusa|não podes|não pode)"
        r"|(prompt|invite|instructions|message) (du )?système|mode développeur|(tes|vos) instructions (initiales|d['’]origine|cachées|secrètes)|(oublie|oubliez|ignore|ignorez) tout ce qui précède"
        r"|(ignore|ignorez|oublie|oubliez)[a-z]* (toutes )?(les |tes |vos )?(instructions|consignes|directives|règles) (précédentes|antérieures|ci-dessus|données)"
        r"|(révèle|révélez|affiche|affichez|répète|répétez|montre|montrez|donne|donnez|imprime|écris)[a-z-]* (ton|votre|tes|vos|les) (raisonnement|instructions|consignes|prompt|invite) (caché|interne|initia|d['’]origine|originel|secret|système|exact)"
        r"|quel modèle (es-tu|êtes-vous|utilises-tu|utilisez-vous)|sur quel modèle (es-tu|êtes-vous) basé|(quels|quelles) (sujets|questions|demandes) (refuses-tu|refusez-vous)|qu['’]est-ce que tu refuses"
        r"|systemprompt|system-prompt|systemanweisung|systemnachricht|entwicklermodus|(deine|ihre) (ursprünglichen|geheimen|versteckten) anweisungen|vergiss alles (bisherige|vorherige)"
        r"|(ignoriere|ignorier|vergiss|ignorieren sie|vergessen sie) (alle )?(vorherigen |bisherigen |vorigen |obigen |früheren |vorangegangenen |deine )?(anweisungen|instruktionen|regeln|vorgaben|befehle)"
        r"|(zeige|zeig|gib|wiederhole|verrate|nenne|drucke|schreibe)[a-zäöüß]* (mir )?(dein|deine|ihr|ihre|die) (verborgen|intern|versteckt|ursprünglich|initial|geheim|exakt|vollständig)[a-zäöüß]* (denken|anweisungen|überlegungen|gedanken|prompt|instruktionen|vorgaben)"
        r"|welches (sprachmodell|modell|ki-modell) (bist du|sind sie|steckt)|auf welchem modell (basierst|basieren)|was (lehnst du ab|verweigerst du)|welche (fragen|themen|anfragen) (lehnst du|verweigerst du|beantwortest du nicht)"
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

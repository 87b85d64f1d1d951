"""Keyword cues: the backup to the NLU scope models (complaint, person, platform fault).

The NLU intents are learned from many varied examples; these cues only second-guess a
doubtful prediction and name the complaint channels to list.
"""

from __future__ import annotations

import re

COMPLAINT_WORDS = {
    "投诉": "hotline",
    "举报": "hotline",
    "曝光": "hotline",
    "12345": "hotline",
    "信访": "petition",
    "上访": "petition",
    "复议": "review",
    "不服": "review",
    "驳回": "review",
    "撤销": "review",
    "赔偿": "compensation",
    "损失": "compensation",
    "起诉": "court",
    "打官司": "court",
    "官司": "court",
    "行政诉讼": "court",
    "告他们": "court",
    "法院": "court",
    "诉讼": "court",
    "仲裁": "arbitration",
    "劳动争议": "arbitration",
}
STRONG_COMPLAINT = re.compile("投诉|举报|信访|上访|行政复议|起诉|打官司|官司|行政诉讼|仲裁|国家赔偿|要求赔偿|赔偿损失")
# An official taking money or favours: a report for the complaint channels however the NLU read it, never a
# question about the 12315 consumer-reporting matter, whose 举报 it shares ("办事员收了好处费才给办 怎么举报")
MISCONDUCT = re.compile("好处费|回扣|索贿|受贿|行贿|吃拿卡要|塞钱|塞红包|贪污|腐败|以权谋私")
# Indignation at how the matter was handled: a complaint however sure the NLU is that it asks about the matter
# ("低保说取消就取消了 凭什么"); 凭什么 asking which document a matter is done with is a question
INDIGNANT = re.compile(
    "凭什么(?!证|材料|资料|手续|条件|办|领|申请|可以|能)|凭啥|要个交代|给个交代|给我个交代|个说法|太过分|过分了|投诉无门|"
    "效率太差|效率太低|什么效率|办事效率|乱收费|不像话|欺负人|折腾人|这叫什么事|这算什么事|为人民服务|不想办事|王法|说停就停|"
    "说取消就取消|离谱"
)
# How a staff member behaved: a complaint about them, not a request to talk to them ("那个审核的老师说话太冲了")
STAFF_MANNER = re.compile(
    "态度|太冲|大呼小叫|大吼|吼我|爱理不理|不理人|挂断|挂了我|挂我电话|骂人|骂我|难听|阴阳怪气|不尊重|甩脸|不耐烦|凶巴巴"
)
COMPLAINT_CUES = re.compile(
    "投诉|举报|信访|上访|复议|起诉|诉讼|打官司|官司|仲裁|法院|不服|维权|反映|曝光|刁难|态度|告|赔|损失|"
    "不认可|不同意|异议|申诉|追责|负责|说法|不满|为难|刁难|故意|凭什么|凭啥|不认|交代|谁来管|上级|合理吗|不合理|复查|判错|不背|好处费|回扣|索贿|受贿|行贿|吃拿卡要|塞钱|"
    "管不管|敷衍|欺负|说理|乱收费|推来推去|踢皮球|公道|道歉|不公平|责任|揭发|申辩|不接受|顶替|王法|不像话|有意见|讨个|什么道理|有人管|存心|谁承担|站不住|这算什么事|"
    "过分|折腾人|无门|不讲理|讲理|什么服务|这叫什么事|请他吃饭|请吃饭|负这个责|负个责|离谱|" + MISCONDUCT.pattern + "|"
    + STAFF_MANNER.pattern
)
HUMAN_CUES = re.compile(
    "人工|真人|客服|工作人员|坐席|人来|找人|人呢|懂的人|懂行|内行|跟人|专人|接线|活人|同事|专员|老师|换个人|找个人|打个电话|"
    "转接|接通|联系我|回电|领导|负责人|业务员|值班|当面|打电话给我|给我打电话|电话联系我|回个电话|有个人|有人帮|人帮我|同志|办事员|通话|管事的|做主|"
    "回拨|打我电话|视频|连线|负责的|远程|屏幕|咨询员|经办人|服务窗口|工作人|客[付腹夫]|转人[共宫]|人[共宫]客服|真[仁银]"
)
# An explicit ask to be called, seen, put through or have one's file looked at by someone: a request for a person
# whatever the NLU read it as and whichever matter it names ("残疾证办到哪了 请经办人联系我")
PERSON_WANTED = re.compile(
    "联系我|回电|回个电话|回电话|打我电话|给我打电话|打电话给我|打个电话给我|来电|回拨|视频通话|视频连线|开个视频|开视频|"
    "可以视频|能视频|视频沟通|屏幕共享|共享屏幕|远程指导|远程协助|找个人帮我|找人帮我看|派个人|派人|叫个人|接通|连线|(?<!普)通话|通个电话|"
    "转接|(转给|转到|接到).{0,6}(人|老师|同志|客服|窗口|科)|找(个|位|一个|一位)?.{0,4}(员|老师|同志|同事)帮|"
    "(让|叫|请|喊).{0,6}(领导|负责人|负责的|同事|同志|客服|老师|工作人员)(来|出来|过来)|"
    # session 11: put through to a person (转人工), someone arranged or found to check, explain or look something up
    # for the asker (安排个人跟我们说, 找个人核对一下, 找老师当面问问), asking a person rather than the bot (问问人),
    # being called (打给我, 回访), how to reach "your" people (联系上你们的人, 客服热线), no one alive (一个活人都没有)
    "(转|找|要|接)(个|一下|一个)?人工(?!审|复核|核)|(人工|客服)(热线|电话)(?!.{0,8}(几点|时间|上班|下班))|安排(个|一个|一位|位|专)人|"
    "(联系上?|找|请|让|叫)你们的人|你们的人(来|帮|给|跟|直接|联系)|问问人|问下人|问一下人|活人|打给我|回访|"
    "找(个|位|一个|一位)?(人|真人|老师|工作人员|客服|同志|同事|专员).{0,4}(核对|核实|看|查|算|说|讲|问|聊|咨询|教)|"
    "(有没有|有)人(能|可以)帮我"
)
# Words for a person in English or pinyin ("human please", "zhuan rengong", "kefu zai ma"): the NLU is trained on
# Chinese and cannot read them, so they are handed off whatever it read
LATIN_PERSON = re.compile(
    r"(?<![a-z])(human|real person|staff|agent|operator|customer service|"
    r"((zhuan|zhao|yao) ?)?(ren ?gong|ke ?fu|zhen ?ren)( ?ke ?fu)?)(?![a-z])",
    re.IGNORECASE,
)
# A message that is nothing but a call for a person ("真人", "客服在吗", "在线客服在哪", "人工人工", "喂 有人吗",
# "转一下"): a request whatever the NLU, trained on longer texts, read it as
_PERSON_NOUN = (
    "rg|人工|真人|客服|客[付腹夫]|人[公共宫]|工作人员|工作人|活人|坐席|专员|人工服务|人工客服|真人客服|(在线|线上|网上)(客服|人工)"
)
_CALL_FILLER = (
    "喂|哈喽|你好|您好|请问|请|麻烦|劳驾|帮我|给我|我要|我想|我需要|需要|要|找|转接|转|接|换|叫|来|个|一个|一下|快|赶紧|"
    "的|吧|呀|啊|呢|吗|哦|嘛|谢谢"
)
BARE_PERSON = re.compile(
    f"({_CALL_FILLER})*(({_PERSON_NOUN})+(在吗|在不在|在哪|在哪里|在哪儿|在线吗|有吗|呢|吗|吧|啊|呀|服务|谢谢)*"
    f"|有人吗|有人在吗|有人在不在|有没有人在?|有没有人工|人呢|转一下|转过去|帮我转|转吧)({_CALL_FILLER})*"
)
_NOT_WORDS = re.compile(r"[\W_]+")
# Sending the bot away ("别让机器人回了", "不要机器人"): the asker wants a person
REJECT_BOT = re.compile(
    "(不要|别|不想|不用|换掉|关掉).{0,4}(机器人|自动回复)|(机器人|自动回复).{0,3}(别回|闭嘴|走开|一边|滚|别说|没用)"
)
# Asking to be called back ("可以打电话给我吗", "要求回电"): a request for a person whatever else the text says
CALL_ME = re.compile("打电话给我|给我打个?电话|回个?电话给我|(?<!不)回电|回个电话|回拨|打我电话|电话联系我")
# A person mentioned in passing: "人工智能", a comparison with staff ("比人工客服还快")
PERSON_IN_PASSING = re.compile("人工智能|比(人工客服|真人客服|在线客服|人工|真人|客服|工作人员|窗口)")
# ... unless someone else is to do the matter for the asker (代办, 委托, 家里人), or it asks whether someone will call
BY_PROXY = re.compile(
    "代办|代开|代我|代为|代领|代他|代她|替我|替他|替她|委托|家里人|屋里人|家属|别人|朋友|中介|旅行社|代理|"
    "会不会|会有人|会联系|会打|会来电|会通知|会给我|会回"
)
# Saying one cannot do it alone, and asking someone to help with it: together a request for a person, even when
# the text names a matter ("医保报销我搞不懂 有人能一步步带我办吗")
CANNOT_ALONE = re.compile(
    "搞不定|搞不懂|搞不清|搞不来|整不来|弄不来|弄不懂|弄不明白|不会弄|不会填|不会操作|看不懂|没看懂|听不懂|听不明白|一窍不通|太复杂|"
    "太绕|步骤太多|太麻烦|实在不会|真的不会|自己办不了|自己弄不了"
)
HELP_FROM_SOMEONE = re.compile(
    "有人能|有人可以|有人陪|有人带|有没有人|陪我|陪着我|带着我|带我|教我|教教我|帮我弄|帮我办|帮我填|帮我操作|帮帮"
)
# A complaint aimed at the administration itself (its staff, a decision, "you"): not a shop or an employer
AT_THE_OFFICE = re.compile(
    "你们|处罚|决定|政府|部门|窗口|工作人员|经办|网站|系统|客服|热线|12345|接线|大厅|办事处|街道|居委|服务中心|受理中心|派出所"
)
# Praise of the staff or the service, to be passed on: thanked, not read as a complaint about them or a call
PRAISE_VERB = re.compile(
    "表扬|点赞|点个赞|锦旗|感谢信|[替帮代]我(谢谢|感谢)|转达.{0,6}(谢|感谢)|(谢谢|感谢)(那位|这位|那个|窗口|工作人员|你们的)"
)
_SO = "(很|特别|非常|真|超|挺|蛮|十分|太)"
PRAISE_MANNER = re.compile(
    f"{_SO}(耐心|热情|负责|细心|专业|周到|贴心|给力|和气|客气|敬业|和蔼)|服务{_SO}?(好|周到|到位|热情)|态度{_SO}(好|热情|耐心|和蔼)"
)
PRAISE_SPOILED = re.compile(
    "不(耐心|热情|负责|好|行|专业|周到|和气|客气)|没(耐心|礼貌)|差|投诉|举报|但是|可是|不过|却|就是"
)
ASKS = re.compile("[吗呢？?]|怎么|什么|啥|咋|怎样|哪|多少|多久|几|如何|能不能|可不可以|要不要|是否")
# Calling for someone to be there (not asking about staff): believed over unsure small talk or feedback
CALL_FOR_PERSON = re.compile("值班|有人在吗|有人吗|人呢|活人|真人")
# 报错 followed by putting it right is a form filled in wrong ("年报报错了能改吗"), not an error message
_ERROR_SHOWN = "报错(?!了?(能|可以|怎么|咋|要)?(改|更正|修改|撤回|重新))"
PLATFORM_CUES = re.compile(
    "登录|登陆|登不|登入|验证码|实名|刷脸|人脸|上传|传不上|传不了|闪退|白屏|" + _ERROR_SHOWN + "|"
    "打不开|页面|网页|卡住|卡死|"
    "密码|账号|帐号|一证通|附件|提交不了|系统繁忙|扫码|小程序|app|网站|转圈|404|500|浏览器|按钮|没反应|"
    "空白|加载|乱码|bug|弹窗|闪退"
)
PLATFORM_STRONG = re.compile(
    "登录|登陆|登不|登入|验证码|实名|刷脸|人脸|闪退|白屏|" + _ERROR_SHOWN + "|"
    "打不开|账号|帐号|一证通|系统繁忙|转圈|传不上|"
    "传不了|上传失败|浏览器|没反应|加载不出|乱码|bug"
)


def complaint_kinds(text: str) -> list[str]:
    """The channels a complaint text calls for, in the order of `COMPLAINT_WORDS`."""
    kinds: list[str] = []
    for word, kind in COMPLAINT_WORDS.items():
        if word in text and kind not in kinds:
            kinds.append(kind)
    return kinds


def wants_a_person(text: str) -> bool:
    """Whether the text explicitly asks a person to call, see, take over or look at the asker's case."""
    return bool(PERSON_WANTED.search(text)) and not BY_PROXY.search(text)


def names_a_person_in_latin(text: str) -> bool:
    """Whether English or pinyin words in the text ask for a person (human, rengong, kefu), no one else to do it."""
    return bool(LATIN_PERSON.search(text)) and not BY_PROXY.search(text)


def cannot_do_it_alone(text: str) -> bool:
    """Whether the text says the asker cannot do it alone and asks someone to help (a request for a person)."""
    return bool(CANNOT_ALONE.search(text) and (person_cue(text) or HELP_FROM_SOMEONE.search(text)))


def calls_for_a_person(text: str) -> bool:
    """Whether the text is a bare call for a person, sends the bot away, or asks to be called back."""
    bare = BARE_PERSON.fullmatch(_NOT_WORDS.sub("", text.lower()))
    return bool(bare or REJECT_BOT.search(text) or CALL_ME.search(text)) and not BY_PROXY.search(text)


def person_only_in_passing(text: str) -> bool:
    """Whether every word for a person in the text is part of 人工智能 or a comparison with staff."""
    return bool(PERSON_IN_PASSING.search(text)) and not person_cue(text)


def person_cue(text: str) -> bool:
    """Whether the text has a word for a person, not counting passing mentions (人工智能, 比人工还快)."""
    return bool(HUMAN_CUES.search(PERSON_IN_PASSING.sub("", text)))


def praises_staff(text: str) -> bool:
    """Whether the text praises the staff or the service (表扬, 替我谢谢她, 窗口的老师很耐心) with no complaint in
    it; praise of how someone behaved followed by a question is a question."""
    if PRAISE_SPOILED.search(text):
        return False
    return bool(PRAISE_VERB.search(text) or (PRAISE_MANNER.search(text) and not ASKS.search(text)))

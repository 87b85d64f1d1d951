"""User-facing texts of 小申 (Simplified Chinese)."""

from __future__ import annotations

FEEDBACK_BUTTONS = [
    {"title": "已解决", "payload": "/feedback_resolved"},
    {"title": "未解决", "payload": "/feedback_unresolved"},
    {"title": "转人工", "payload": "/request_human"},
]
HUMAN_BUTTON = [{"title": "转人工", "payload": "/request_human"}]

ASPECT_LABELS = {
    "conditions": "办理条件",
    "materials": "申请材料",
    "process": "网上办理步骤",
    "offline": "线下窗口",
    "fees": "收费",
    "time_limit": "办理时限",
    "progress": "进度查询",
    "faq": "常见问题",
    "tech": "平台技术问题",
}

ASK_SOLVED = "以上能解决您的问题吗？"
ENTRY_LINE = "网上办理：{name}，{path}"
SOURCE_LINE = "依据：{source}{checked}"
CHECKED_ON = "（{date} 核对）"
GREET = (
    "您好，我是一网通办智能帮办小申～您可以直接问我办事问题，比如“提取公积金要什么材料”"
    "“居住证积分怎么申请”“营业执照网上怎么办”。"
)
THANKS = "不客气～还有其他问题随时问小申哦。"
PRAISE = (
    "谢谢您的肯定！小申会把您的表扬转达给工作人员😊 如想正式表扬，也可以拨打12345市民服务热线，"
    "或在随申办搜索“12345”在线提交。还有其他问题随时问小申哦。"
)
GOODBYE = "好的，祝您办事顺利，再见～"
CHITCHAT = "小申是一网通办的办事小助手，闲聊不太擅长😊 您有什么要办的事项，可以直接告诉我。"
AFFIRM_IDLE = "好的～还有什么可以帮您？"
DENY_IDLE = "好的，您还有别的想问的吗？直接说就行。"
# The reply to small talk by intent (anything else: CHITCHAT)
SMALLTALK = {"greet": GREET, "thanks": THANKS, "goodbye": GOODBYE, "affirm": AFFIRM_IDLE, "deny": DENY_IDLE}
RESOLVED = "太好了，很高兴帮到您！还有其他问题随时找小申。"
NOT_UNDERSTOOD = (
    "抱歉，小申没太明白您的意思😅 能换个说法吗？最好带上要办的事项，比如“异地就医备案怎么办”"
    "“个税汇算什么时候截止”。也可以点“转人工”。"
)
NO_ARTICLE = "抱歉，这个问题小申暂时没有找到答案，已经记录下来了。您可以换个说法，或者点“转人工”找工作人员。"
ASK_MATTER = "您想办理的是哪个事项呢？比如居住证、公积金提取、社保卡、营业执照等，告诉小申就能帮您查。"
TECH_NOT_FOUND = "这个技术问题小申暂时没查到处理办法，帮您转给大数据中心的技术人员看看。"

HANDOFF_OPEN = "正在为您转接人工帮办，请稍候～您刚才的问题已一并转给工作人员，不用重复描述。"
HANDOFF_CLOSED = (
    "现在不在人工帮办服务时间（{hours}），工作人员将于{when}上线。"
    "您可以直接留言，您的问题已记录，届时会第一时间回复您。"
)
HANDOFF_INTRO = {
    "user_request": "好的。",
    "unresolved": "抱歉没能帮您解决。",
    "low_confidence": "抱歉，小申好像没理解您的问题。",
    "platform_tech": TECH_NOT_FOUND,
}

COMPLAINT_HEAD = "您反映的情况不属于网上办事咨询，小申没法直接处理，建议您通过以下渠道："
COMPLAINT_CHANNELS = {
    "hotline": (
        "投诉、举报、意见建议：拨打12345市民服务热线，或在随申办搜索“12345”在线提交，"
        "会转给相关部门办理并答复。"
    ),
    "petition": "信访：可通过“上海市网上信访”或到所在区信访办提出。",
    "review": (
        "对行政机关的决定不服：可在知道该决定之日起60日内申请行政复议（向本级政府的行政复议机构提出）。"
    ),
    "court": "诉讼（打官司）：可向有管辖权的人民法院起诉，诉讼服务咨询可拨打12368。",
    "arbitration": "劳动争议：可向用人单位所在区的劳动人事争议仲裁委员会申请仲裁。",
    "compensation": (
        "要求赔偿：可向造成损失的行政机关书面提出国家赔偿申请，对其决定不服的可申请复议或起诉。"
    ),
}

CLARIFY = "您想问的是{options}？"
CLARIFY_TAIL = "都不是的话，可以换个说法，或者点“转人工”找工作人员。"

"""Chinese and Korean word lists for the synthetic corpus, written the way such paper notes are:
CJK prose with English method, dataset and metric names left in Latin script, full-width
punctuation in Chinese, inline math in the sentences.

Slots: {adj} and {noun} come from this module's lists for the note's language; {method},
{dataset}, {metric} are the English names from vocabulary.py.
"""

from __future__ import annotations

ZH_ADJECTIVES = [
    "稀疏", "高效", "鲁棒", "可扩展", "轻量级", "层次化", "自适应", "对比式", "生成式", "概率",
    "隐式", "模块化", "统一", "多尺度", "结构化", "稳定", "参数高效", "数据高效",
]
ZH_NOUNS = [
    "编码器", "解码器", "主干网络", "目标函数", "正则项", "先验", "注意力图", "记忆库", "码本",
    "适配器", "路由器", "教师模型", "学生模型", "策略网络", "奖励模型", "特征金字塔", "嵌入空间",
    "训练方案", "数据管线", "噪声调度", "采样器", "分词器",
]
ZH_TASKS = [
    "图像分类", "目标检测", "语义分割", "机器翻译", "问答", "文本摘要", "代码生成", "语音识别",
    "文生图", "视频生成", "深度估计", "推荐系统", "异常检测", "语言建模", "新视角合成",
]
ZH_SENTENCES = [
    "作者提出了一种新的{adj}{noun}，在 {dataset} 上显著提升了 {metric}。",
    "与之前的工作相比，这个{noun}更加{adj}，而且推理开销更低。",
    "核心观察是：一旦{noun}足够{adj}，瓶颈就不再是模型规模。",
    "消融实验表明，去掉{adj}{noun}之后 {metric} 下降最多。",
    "训练采用标准流程，只是前几个 epoch 冻结了{noun}。",
    "我觉得关于{noun}的论证很有说服力，但 {dataset} 上的证据还不够充分。",
    "{method} 的主要收益来自{adj}{noun}，而不是更大的模型。",
    "附录里给出了 {dataset} 上的 {metric}，趋势与正文一致。",
    "值得一试的是把这个{adj}{noun}迁移到别的任务上。",
    "实现很简单：一个{noun}、一个额外的损失项，再加上 {method} 的训练技巧。",
    "继续扩大{noun}的规模仍然有效，但收益逐渐递减。",
    "这篇论文的写作很清楚，实验部分也比较扎实，**值得精读**。",
]
ZH_SECTIONS = {
    "Problem": "问题", "Background": "背景", "Method": "方法", "Experiments": "实验",
    "Results": "结果", "Ablations": "消融实验", "Limitations": "局限性", "Takeaways": "收获",
    "Open questions": "待解决的问题",
}
ZH_TITLES = [
    "{method}：面向{task}的{adj}{noun}",
    "重新思考{task}中的{noun}",
    "{method}：{adj}{noun}的规模化",
    "基于{adj}{noun}的{task}",
]
ZH_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴昊"]

KO_ADJECTIVES = [
    "희소한", "효율적인", "강건한", "확장 가능한", "경량", "계층적", "적응형", "대조적", "생성적",
    "확률적", "모듈식", "통합된", "다중 스케일", "안정적인", "파라미터 효율적인",
]
KO_NOUNS = [
    "인코더", "디코더", "백본", "목적 함수", "정규화 항", "사전 분포", "어텐션 맵", "메모리 뱅크",
    "코드북", "어댑터", "라우터", "교사 모델", "학생 모델", "정책", "보상 모델", "임베딩 공간",
    "학습 레시피", "데이터 파이프라인", "노이즈 스케줄", "샘플러", "토크나이저",
]
KO_TASKS = [
    "이미지 분류", "객체 탐지", "의미론적 분할", "기계 번역", "질의응답", "요약", "코드 생성",
    "음성 인식", "비디오 생성", "깊이 추정", "추천", "이상 탐지", "언어 모델링",
]
KO_SENTENCES = [
    "저자들은 새로운 {adj} {noun}를 제안하고 {dataset}에서 {metric}를 크게 개선했다.",
    "기존 연구와 비교하면 이 {noun}는 더 {adj} 구조이고 추론 비용도 낮다.",
    "핵심 관찰은 {noun}가 충분히 {adj} 형태가 되면 병목이 사라진다는 것이다.",
    "어블레이션 결과, {adj} {noun}를 제거하면 {metric}가 가장 많이 떨어진다.",
    "학습은 표준 레시피를 따르지만 처음 몇 에폭 동안 {noun}를 고정한다.",
    "{noun}에 대한 논증은 설득력이 있지만 {dataset}에서의 근거는 아직 약하다.",
    "{method}의 이득은 대부분 {adj} {noun}에서 나오며 모델 크기와는 관계가 적다.",
    "부록에는 {dataset}의 {metric}가 실려 있고 경향은 본문과 같다.",
    "구현은 간단하다: {noun} 하나와 추가 손실 항 하나면 된다.",
    "이 논문은 **꼼꼼히 읽을 가치가** 있다.",
]
KO_SECTIONS = {
    "Problem": "문제", "Background": "배경", "Method": "방법", "Experiments": "실험",
    "Results": "결과", "Ablations": "어블레이션", "Limitations": "한계", "Takeaways": "배운 점",
    "Open questions": "남은 질문",
}
KO_TITLES = [
    "{method}: {task}를 위한 {adj} {noun}",
    "{task}에서 {noun} 다시 생각하기",
    "{method}: {adj} {noun}의 확장",
]
KO_NAMES = ["김민준", "이서연", "박지호", "최수빈", "정하은", "강도윤", "조예린", "윤시우"]

LANGUAGES = {
    "zh": {"adjectives": ZH_ADJECTIVES, "nouns": ZH_NOUNS, "tasks": ZH_TASKS,
           "sentences": ZH_SENTENCES, "sections": ZH_SECTIONS, "titles": ZH_TITLES,
           "names": ZH_NAMES, "table": ("方法", "参数量 (M)"), "joiner": ""},
    "ko": {"adjectives": KO_ADJECTIVES, "nouns": KO_NOUNS, "tasks": KO_TASKS,
           "sentences": KO_SENTENCES, "sections": KO_SECTIONS, "titles": KO_TITLES,
           "names": KO_NAMES, "table": ("방법", "파라미터 (M)"), "joiner": " "},
}

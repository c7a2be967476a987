"""Regional and slang variants of the words the triage looks for, mapped to standard Indonesian before
stemming, so one lexicon term serves every feed. Written from the languages of the demo regions, not from
the posts: Javanese (Tegal ngapak, East Java), Madurese (Jember), Sundanese, Betawi, Riau Malay (Batam),
Banjar (Penajam Paser Utara), Sasak (Mataram), and the shorthand of social media.

A value may be several words; an empty value drops the word (particles that carry nothing here)."""

from __future__ import annotations

# One word -> its standard form.
WORDS: dict[str, str] = {
    # negation and "there is none"
    "gk": "tidak", "ga": "tidak", "gak": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
    "engga": "tidak", "tdk": "tidak", "tak": "tidak", "ndak": "tidak", "nda": "tidak", "kagak": "tidak",
    "kaga": "tidak", "ora": "tidak", "ra": "tidak", "kada": "tidak", "kadada": "tidak ada", "teu": "tidak",
    "henteu": "tidak", "ndeq": "tidak", "ta": "tidak", "tda": "tidak", "gada": "tidak ada", "gaada": "tidak ada",
    "laka": "tidak ada", "ndak ada": "tidak ada", "tiada": "tidak ada", "dudu": "bukan", "bkn": "bukan",
    "sanes": "bukan", "belom": "belum", "blm": "belum", "durung": "belum", "urung": "belum",
    # there is / have
    "ana": "ada", "ono": "ada", "onok": "ada", "aya": "ada", "araq": "ada", "bedeh": "ada", "ade": "ada",
    "duwe": "punya", "nduwe": "punya", "boga": "punya",     # the mind: "gila" and its kin
    "edan": "gila", "gendeng": "gila", "gelo": "gila", "gélo": "gila", "sinting": "gila", "gile": "gila",
    "orgil": "orang gila", "stress": "stres", "setres": "stres", "strees": "stres",
    "sarap": "gila", "ngamok": "ngamuk", "ngamuk2": "ngamuk", "kumat": "kambuh",     "buduh": "gila",
    # persons
    "wong": "orang", "uwong": "orang", "oreng": "orang", "reng": "orang", "jalma": "orang", "jelema": "orang",
    "urang": "orang", "org": "orang", "orng": "orang", "lakian": "laki", "lanang": "laki", "lake": "laki",
    "wadon": "perempuan", "bini": "perempuan", "binik": "perempuan", "pompuan": "perempuan",
    "cewek": "perempuan", "cowok": "laki", "bubuhan": "warga",
    # children
    "bocah": "anak", "bocil": "anak", "budak": "anak", "arek": "anak", "kanak": "anak", "lare": "anak",
    "bebeaq": "bayi", "orok": "bayi", "jabang": "bayi", "bayik": "bayi",     "cilik": "kecil", "kecik": "kecil", "kenik": "kecil", "alit": "kecil", "leutik": "kecil", "nina": "perempuan", "nine": "perempuan",
    "mame": "laki", "batita": "balita", "anjal": "anak jalanan",
    # elderly
    "mbah": "nenek", "simbah": "nenek", "embah": "nenek", "atok": "kakek", "datuk": "kakek", "nini": "nenek",
    "kai": "kakek", "papuk": "nenek", "aki": "kakek", "uyut": "nenek", "sepuh": "tua", "toaq": "tua",
    "lingsir": "tua", "tuwa": "tua", "tuwo": "tua", "towa": "tua", "manula": "lansia", "jompo": "lansia",
    "kakung": "kakek",     # family
    "inaq": "ibu", "amaq": "bapak", "emak": "ibu", "mak": "ibu", "mamak": "ibu", "ibune": "ibu",
    "bapake": "bapak", "bapakne": "bapak", "bpk": "bapak", "pak": "bapak", "bu": "ibu", "ortu": "orang tua",
    "bojone": "istri", "bojo": "istri", "tirine": "tiri", "tirinya": "tiri", "sambungnya": "tiri",
    "keluargane": "keluarga", "kaluarga": "keluarga", "kaluargana": "keluarga", "sedulur": "keluarga",
    "dulur": "keluarga", "jiran": "tetangga", "tatangga": "tetangga",
    # places and "at"
    "nang": "di", "neng": "di", "ning": "di", "kat": "di", "leq": "di", "lek": "di", "ndek": "di",
    "dket": "dekat", "dkt": "dekat", "deket": "dekat", "dpn": "depan", "ngarep": "depan", "blkg": "belakang",
    "mburi": "belakang", "tepi": "pinggir", "emper": "emperan", "emperane": "emperan",
    "omah": "rumah", "omahe": "rumah", "bengko": "rumah", "bengkona": "rumah", "roma": "rumah",
    "bale": "rumah", "balene": "rumah", "jl": "jalan", "jln": "jalan", "dalan": "jalan", "smpg": "simpang",
    "kel": "kelurahan", "kec": "kecamatan", "ds": "desa", "dsn": "dusun", "sei": "sungai", "tg": "tanjung",
    # doing, lying, being
    "turu": "tidur", "tedung": "tidur", "tido": "tidur", "tidor": "tidur", "klesetan": "tergeletak",
    "mlaku": "jalan", "mlaku-mlaku": "jalan", "ngomong": "bicara", "omong": "bicara", "dewek": "sendiri",
    "dewekan": "sendirian", "dewe": "sendiri", "dewean": "sendirian", "sorang": "sendiri",
    "sorangan": "sendiri", "dhibi": "sendiri", "mesaq": "sendiri", "surang": "sendiri", "dhewe": "sendiri",
    "mate": "mati", "mayit": "mayat", "mayid": "mayat", "jasad": "mayat", "seda": "meninggal",
    "getihen": "berdarah", "getih": "darah", "semaput": "pingsan", "kesasar": "tersesat", "keleleran": "terlantar",
    "telantar": "terlantar", "lantar": "terlantar", "mlarat": "miskin", "melarat": "miskin",
    "digebuki": "dipukuli", "dikeplaki": "dipukuli", "ditempeleng": "dipukul", "epokol": "dipukul",
    "dipenthung": "dipukul", "dipukulin": "dipukuli", "mukulin": "memukul", "ngantemi": "memukul",
    "dirante": "dirantai", "diranté": "dirantai", "rante": "rantai", "dikrangkeng": "dikerangkeng",
    "krangkeng": "kerangkeng", "disekep": "dikurung", "mlayu": "lari", "podo": "pada",
    "kabeh": "semua", "mesakake": "kasihan", "mesakke": "kasihan", "kesian": "kasihan", "kasian": "kasihan",
    "karunya": "kasihan", "sakno": "kasihan", "njaluk": "minta", "nyuwun": "minta",
    "guwak": "buang", "diguwak": "dibuang", "ngopeni": "merawat", "ngurus": "mengurus",
    "tulung": "tolong", "tlg": "tolong", "tolongin": "tolong", "mhn": "mohon", "pliss": "tolong",
    # shorthand
    "yg": "yang", "sing": "yang", "se": "yang", "dgn": "dengan", "dg": "dengan", "sdh": "sudah",
    "udh": "sudah", "udah": "sudah", "dah": "sudah", "wis": "sudah", "uwis": "sudah", "wes": "sudah",
    "sampun": "sudah", "lg": "lagi", "sm": "sama", "bgt": "banget", "skrg": "sekarang",
    "saiki": "sekarang", "sy": "saya", "krn": "karena", "pasal": "karena", "utk": "untuk", "kpd": "kepada",
    "trs": "terus", "bener": "benar", "kayak": "seperti", "kyk": "seperti", "kaya": "seperti",
    "koyo": "seperti", "koyok": "seperti", "macam": "seperti", "gimana": "bagaimana", "gmn": "bagaimana",
    "piye": "bagaimana", "kepriwe": "bagaimana", "kepriben": "bagaimana", "pripun": "bagaimana",
    "dr": "dari", "teko": "dari", "teka": "datang", "sktr": "sekitar", "th": "tahun", "thn": "tahun",
    "taun": "tahun", "tahon": "tahun", "bw": "bawa", "bawak": "bawa", "nggowo": "bawa", "gawa": "bawa",
    "sape": "siapa", "sapa": "siapa", "sopo": "siapa", "sai": "siapa", "ybs": "yang bersangkutan",
    "hoax": "hoaks", "hoak": "hoaks",
}

# Words written with an apostrophe (Madurese): looked up before the apostrophe is dropped.
APOSTROPHE: dict[str, str] = {
    "ana'": "anak", "ta'": "tidak", "odhi'": "hidup", "dhibi'": "sendiri", "ka'": "ke", "bi'": "dengan",
    "e'": "di", "ana'an": "anak", "ana'na": "anak", "kaka'": "kakak", "lake'": "laki", "bini'": "perempuan", "ngenneng": "tinggal",
}

# Several words -> standard words (matched on the words as normalised above, longest first).
PHRASES: dict[str, str] = {
    "kurang waras": "gila",
    "tidak waras": "gila",
    "tidak siuman": "gila",
    "sakit jiwa": "gangguan jiwa",
    "terganggu jiwa": "gangguan jiwa",
    "terganggu jiwanya": "gangguan jiwa",
    "ibu tiri": "ibu tiri",
    "bapak sambung": "bapak tiri",
    "ayah sambung": "bapak tiri",
    "manusia silver": "manusia silver",
    "lampu abang": "lampu merah",
    "lampu isyarat": "lampu merah",
    "traffic light": "lampu merah",
    "kaki lima": "emperan",
    "tidak punya rumah": "tunawisma",
    "tidak ada rumah": "tunawisma",
    "tidak punya tempat tinggal": "tunawisma",
    "tanpa tempat tinggal": "tunawisma",
    "sebatang kara": "sendirian",
    "seorang diri": "sendirian",
    "sendiri diri": "sendirian",
    "hidup sendiri": "sendirian",
    "tinggal sendiri": "sendirian",
    "sudah tua": "tua",
    "tidak bernyawa": "mati",
    "tak bernyawa": "mati",
    "tanpa identitas": "tanpa identitas",
    "tidak ada identitas": "tanpa identitas",
    "tidak ada ktp": "tanpa identitas",
    "tidak ada ic": "tanpa identitas",
    "tidak ada kartu": "tanpa identitas",
}

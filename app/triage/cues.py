"""Rule cues: patterns over the normalised words of a post (app/triage/text.py has already turned "wong
edan" into "orang gila", "nang" into "di", "gak" into "tidak"). Three kinds:

- CATEGORY: paraphrases that point to a category without its keyword ("dikurung di kamar bertahun-tahun"
  is pasung, "tergeletak berdarah sendirian" an orang terlantar), with a weight like the lexicon's;
- NOT_A_CASE: signs that a post is no case although the words are there, by reason (app/triage/notcase.py);
- FLAG: signs of the urgency flags.

They score on their own (app/triage/engine.py) and are also features of the model (app/triage/features.py).
Patterns are regular expressions over the space-joined words, "|" marking a sentence boundary."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.triage import gate
from app.triage.features import analyse as words_of
from app.triage.notcase import NOT_A_CASE

_CHILD = r"(anak|bayi|balita|murid|siswa|siswi|remaja|putri|putra|adik|pelajar|santri|santriwati|smp|sma|smk)"
_ELDER = r"(nenek|kakek|lansia|lanjut usia|orang tua renta|tua renta|jompo)"
_GAP = r"(?:[^|]{0,40}?)"
# An old person named by "tua" after a person word ("pakcik tua", "perempuan tua", Madurese "oreng toa lake'").
_OLD = r"(?:(?:laki|lelaki|perempuan|pakcik|makcik|pria|wanita|kakek|nenek) (?:tua|renta|sepuh)|orang tua (?:laki|perempuan))"  # up to a few words, within the sentence
_KID = r"(anak|remaja|siswa|siswi|bocah|pelajar)"
# A child's own age, said outright: up to four years (or months) is a small child (ABT), not a school child.
# "1,5 tahun" reads "1 5 tahun" by now.
_SMALL_AGE = (
    r"(?:[1-4](?: [0-9])?|satu|dua|tiga|empat|setahun) (?:tahun|bulan)|(?:[5-9]|1[0-1]) bulan|setahun"
)
# A child's own age of five years or more: a school child (AT, AJ, ...), not a small one (ABT).
_SCHOOL_AGE = re.compile(
    r"\b(umur|usia|berumur|berusia|anak|bocah|kanak)( kira kira| sekitar| kurang lebih)? ([5-9]|1[0-7]) tahun\b"
)
# Where a carer goes to work and leaves a child behind.
_ABROAD = (
    r"(malaysia|arab|saudi|hongkong|taiwan|singapura|brunei|korea|jepang|luar negeri|negeri orang|"
    r"negeri jiran|timur tengah|luar pulau|luar kota|jakarta|surabaya|bali)"
)
# Who would care for a child, and the ways they are gone.
_CARER = r"(orang tua|ibu|bapak|ayah|pengasuh|keluarga|nenek|kakek)"
_GONE = (
    r"(pergi|merantau|dipenjara|ditahan|meninggal|wafat|cerai|kawin lagi|menikah lagi|entah ke ?mana|"
    r"tidak (diketahui|jelas|pulang|ada kabar)|jadi (tkw|tki|pmi)|kerja ke|(ke|ka) (malaysia|luar negeri|luar kota)|"
    r"minggat|kabur|sakit jiwa|gangguan jiwa|_gangguan jiwa|_gila|_odgj|(sudah )?tidak ada lagi|sudah tidak ada|"
    r"_ditahan|_dipenjara|_ditangkap|_dibui|_masuk penjara|"
    rf"(jadi|sebagai) (tkw|tki|pmi|buruh migran|pekerja migran)|(kerja|bekerja|pergi|merantau) (di|ke) {_ABROAD}|"
    r"(tkw|tki|pmi) (di|ke))"
)
# A child left without care for a stated reason: its carers abroad, in prison, gone, ill, dead or divorced.
# Named on its own (engine._outranked): such a child is the child's case, not a street child sleeping out,
# a child before the law, a stranded migrant or the old grandmother who cannot cope.
_CARER_GONE = re.compile(rf"^(?=.*\b{_CHILD}\b)(?=.*\b{_CARER}\w*\b[^|]{{0,30}}?\b{_GONE})")
# A child earning on the street (begging, busking, hawking): a street child even when its carers are gone.
_STREET_WORK = re.compile(
    r"\b(ngamen|mengamen|ngemis|mengemis|minta minta|meminta minta|minta (uang|duit)|jualan|berjualan|"
    r"jual (tisu|koran|air|kerupuk|asongan)|asongan|manusia silver|ngelem|mengelem|menyemir|semir sepatu|"
    r"tukang parkir|ojek payung|memulung|mulung)\b"
)
# A child who is the subject, not carried or brought along by an adult ("ibu gendong bayi mengemis").
_OWN_KID = (
    r"(?:^|\| )(?:(?!\b(?:bawa|membawa|gendong|menggendong|ajak|mengajak|bersama|punya|dengan|sekeluarga)\b)[^|])*?"
    r"\b(anak|remaja|siswa|siswi|pelajar)\b"
)
_STREET = (
    r"(ngamen|mengamen|ngemis|mengemis|minta minta|meminta minta|minta (uang|duit)|jualan|jual (tisu|koran|air|kerupuk|asongan)|"
    r"manusia silver|ngelem|mengelem|menghirup lem|tidur di (emperan|trotoar|terminal|taman|pasar|pelantar|lapak|pinggir jalan))"
)
# The law: a child caught, held or accused ("anak berhadapan dengan hukum"); a parent in prison is not.
_LAW = (
    r"(ditangkap|diamankan (polisi|polsek|polres|polresta|aparat)|ditahan|dibui|mencuri|pencurian|curi|maling|"
    r"tawuran|begal|jambret|balap liar|mengedarkan|diversi|bapas|lpka|mengamankan|digerebek|gerebek|menusuk|"
    r"keroyok|mengeroyok|membakar|merusak|penjambretan|pencabulan|persetubuhan|dibawa (ke )?(polisi|polsek|polres))"
)
# Hurting an adult: the verbs, and who does it (a spouse, a partner, an employer, a son or grandson, thugs).
_HIT = (
    r"(dipukul\w*|ditampar|ditendang|dicekik|dianiaya|disiksa|dibacok|ditikam|ditusuk|dihajar|dikeroyok|"
    r"dijambak|disetrika|dibanting|disiram (air keras|air panas|bensin|minyak)|diperkosa|dilecehkan|dicabuli|"
    r"diancam (dibunuh|pakai|dengan|nganggo)|dirampas|dirampok|disundut)"
)
_BY = r"(suami\w*|istri\w*|pacar\w*|mantan\w*|majikan\w*|menantu\w*|cucu\w*|preman|mandor|pemilik kos|orang tidak dikenal)"
_NOT_PARENT = r"(?:(?!\b(?:orang tua|ibu|bapak|ayah|pelaku|tersangka)\w*\b)[^|]){0,50}?"
_WIDE = r"(?:[^|]{0,70}?)"
# A girl who may be married off or pregnant under age, and the words between that must not name a grown woman.
_GIRL = r"(anak|siswi|remaja|pelajar|gadis|putri|santriwati|smp|sma|smk)"
_NOT_MOTHER = r"(?:(?!\b(?:orang tua|ibu|bapak|ayah|istri|mama|emak|pelaku|tersangka)\w*\b)[^|]){0,50}?"  # the rest of a long sentence: "anak ... ditemukan berjalan sendirian"

CATEGORY: dict[str, list[tuple[int, str]]] = {
    "PASUNG": [
        (3, r"\b(di|ter|me|mem)?(pasung|masung|kerangkeng|belenggu)\w*"),
        (3, r"\b(di|me)?rantai\w*"),
        (
            3,
            rf"\b(di|me|meng|men)?(kurung|ngurung|kunci|ngunci|sekap|asingkan|isolasi)\w*{_GAP}\b(tahun|lama|kamar|gudang|bilik|kandang|ruang|gubuk)",
        ),
        (3, rf"\b(kaki|tangan)\w*{_GAP}\b(di)?(ikat|rantai|belenggu|pasung|balok)"),
        (2, rf"\b(di)?ikat\w*{_GAP}\b(kaki|tangan|tiang|pohon|kamar)"),
        (2, r"\bbalok kayu\b"),
    ],
    "JENAZAH": [
        # a room or house that smells, locked from inside or its lone occupant unseen for days (session 13)
        (
            3,
            r"^(?=.*\b(bau|berbau|mambu|tercium bau)\b)(?=.*\b(dikunci|terkunci|takunci|kekunci) dari (dalam|njero|jero)\b|.*\btidak (terlihat|kelihatan|nampak|tampak|keluar|metu|muncul)\b[^|]{0,12}\b(\d+ (hari|dina)|seminggu|berhari hari))",
        ),
        (3, r"\b(mayat|jenazah|jasad|kerangka manusia|mr x)\b"),
        (
            3,
            rf"\b(meninggal|mati|tewas){_GAP}\b(tanpa identitas|tidak ada (yang|keluarga)|tidak kenal|tidak dikenal|belum diambil|siapa)",
        ),
        (
            3,
            rf"\b(temu|ditemukan|terdampar|terapung|mengapung|hanyut|tersangkut){_GAP}\b(meninggal|mati|mayat)",
        ),
        (3, r"\b(orang|pria|wanita|laki|perempuan|bayi) (meninggal|mati|tewas)\b"),
        (
            3,
            r"\b(ditemukan|temukan|menemukan)\b[^|]{0,20}\b(sudah tidak ada|sudah meninggal|sudah mati|dalam keadaan (meninggal|mati|kaku))",
        ),
        (2, r"\b(membusuk|sudah bau|mambu|sudah kaku|pemakaman|pemulasaraan|dimakamkan)\b"),
        (1, r"\binnalillahi?\b"),
    ],
    "ODGJ": [
        (3, r"\b(odgj|gangguan jiwa|orang gila|skizofrenia|orang stres|stres berat|kejiwaan)\b"),
        (
            2,
            r"\b(laki|perempuan|pria|wanita|ibu|bapak|pemuda|anak|kakak|abang|pakcik|makcik|mas|mbak|inaq) gila\b",
        ),
        (2, r"\b(bicara|teriak|ketawa|tertawa|senyum|nangis) sendiri\b|\bbicara sendirian\b"),
        (
            2,
            r"\b(telanjang|bugil|tanpa busana|tidak (pakai|memakai|berpakaian|bebaju) baju|tidak pakai baju|tidak berpakaian)\b",
        ),
        (
            1,
            r"\b(gila|linglung|rambut\w* gimbal|bicara kacau|nglantur|tidak dapat diajak|tidak bisa diajak)\b",
        ),
        # the signs of a disturbed mind (session 13): cannot be asked, answers that do not connect, an empty
        # stare, screaming at night, "changed" since a loss; with a second sign they name ODGJ
        (
            2,
            r"\b(tidak|belum) (bisa|dapat|mau) (ditanya|ditanyai|diajak bicara|diajak ngobrol)\b|\bditanya\w*[^|]{0,15}\btidak (nyambung|jelas)\b|\b(tatapan|pandangan)\w* (mata\w* )?kosong\b|\b(menjerit|berteriak|teriak)\w* (tengah malam|malam malam|tanpa sebab)\b",
        ),
        (1, r"\b(berubah|lain) sejak\b|\bmengamuk\b"),
    ],
    "OT": [
        (3, r"\borang terlantar\b"),
        (2, r"\b(tergeletak|terkapar|terbaring|tergolek|pingsan|terduduk lemah|lemas|lemes)\b"),
        (2, rf"\b(bingung|kebingungan|linglung|tersesat|lupa){_GAP}\b(alamat|pulang|arah|rumah|nama|mana)"),
        (
            2,
            r"\b(dicopet|(uang|duit)\w* (sudah )?habis|tidak (bisa|dapat) pulang|kehabisan (uang|ongkos|bekal)|tidak punya (uang|ongkos|duit)|dompet\w* (hilang|dicopet)|tidak ada duit)\b",
        ),
        (1, r"\b(terlantar|sendirian|tidak ada yang (kenal|nolong|menolong|jaga|merawat))\b"),
        # turned out by kin, set down by a bus or ship, robbed on the way: an adult with nowhere to go
        (
            2,
            r"\bdiusir\b[^|]{0,15}\b(suami|istri|anak|menantu|mantu|mertua|keluarga|majikan|kakak|adik)\w*|\btidak (tahu|tau|hafal|ingat) (alamat|jalan pulang|nomor|rumah)\w*|\btidak (punya|ada) (keluarga|saudara)\b",
        ),
        (
            3,
            r"\b(diturunkan|diturunin|ditinggal) (dari |oleh )?(travel|bus|bis|mobil|truk|kapal|feri|kernet|sopir)\b|\bdompet\w* (hilang|dicopet|dicuri|dirampas)\b[^|]{0,60}\b(pulang|ongkos|uang|kapal|bus|terminal|pelabuhan)|\b(turun|tiba) (dari )?(kapal|feri|bus|kereta)\b[^|]{0,60}\b(dompet|tidak punya (uang|ongkos)|kehabisan)",
        ),
    ],
    "LUT": [
        (
            3,
            rf"\b{_ELDER}\b{_GAP}\b(sendirian|terlantar|ditinggal|tidak ada (anak|keluarga)|tidak punya (anak|keluarga|rumah)|tidur di|tunawisma|emperan|pikun)",
        ),
        (2, rf"\b{_ELDER}\b|\b{_OLD}\b"),
        (
            3,
            rf"\b{_OLD}\b{_GAP}\b(sendirian|terlantar|ditinggal|tidak ada (anak|keluarga|rumah)|tidak punya (anak|keluarga|rumah)|tidur di|tunawisma|emperan|pikun)",
        ),
        (2, r"\busia (6|7|8|9)\d\b|\b(6|7|8|9)\d tahun\b"),
    ],
    "GEL": [
        (3, r"\b(tunawisma|gelandangan|gelandang|gepeng|homeless|menggelandang)\b"),
        # a family without a roof (session 14): evicted from a rented home, sleeping in a public place
        (
            3,
            r"\b(sekeluarga|satu keluarga)\b[^|]{0,60}\b(tidur|tinggal|bermalam)\w* di\b|\b(diusir|digusur)\b[^|]{0,10}"
            r"\b(dari )?(rumah sewa|rumah kontrakan|kontrakan|kos|rumah kos)\b",
        ),
        # living rough, said without the word: sleeping or living in a public or makeshift place
        (
            2,
            r"\b(tidur|tinggal|hidup|menginap|bermalam|menumpang tidur|numpang tidur)\w* di (kolong|bawah jembatan|emperan|gerobak|taman|terminal|halte|stasiun|pos ronda|pinggir (jalan|rel|pantai|sungai)|jalanan|serambi|teras|bangku|berugak|lahan kosong|mobil rusak|kereta rusak|ruang tunggu|tangga ruko|pondok bekas|gubuk bekas|bekas)",
        ),
        (2, r"\b(beralas kardus|pakai terpal|pakai tikar|pakai kardus|tidur di mana saja)\b"),
        (
            2,
            r"\btidur di (emperan|halte|kolong|bawah jembatan|jembatan|trotoar|teras|pinggir jalan|pos|gardu|masjid|mushola|bangku)",
        ),
    ],
    "PENG": [
        (
            3,
            r"\b(pengemis|mengemis|ngemis|peminta|meminta minta|minta minta|sedekah|minta duit|minta uang)\b",
        ),
        # an adult begging with a child in arms or in tow: the adult is the subject
        (
            3,
            r"\b(bawa|membawa|gendong|menggendong|ajak|mengajak)\b[^|]{0,20}\b(anak|bayi|balita)\w*\b[^|]{0,30}\b(ngemis|mengemis|minta minta|meminta minta)\b",
        ),
    ],
    "PENGAMEN": [
        (3, r"\b(pengamen|ngamen|mengamen|badut)\b"),
    ],
    "AJ": [
        (3, r"\b(anak jalanan|anak punk|ngelem|menghirup lem|manusia silver)\b"),
        (
            3,
            rf"{_OWN_KID}{_GAP}\b(lampu merah|simpang|perempatan|prapatan|terminal|jalan)\b{_GAP}\b(ngamen|ngemis|minta|jual|tidur|malam)",
        ),
        (
            3,
            rf"{_OWN_KID}{_GAP}\b(ngamen|mengamen|ngemis|mengemis|minta|jual\w*|manusia silver)\b{_GAP}\b(malam|lampu merah|simpang|perempatan|prapatan|jalan|terminal|bengi)",
        ),
        (3, rf"\b{_KID}\b{_GAP}\b(manusia silver|ngelem|punk)"),
        # a child (not one an adult carries along) living off the street: begging, busking, hawking, sleeping out
        (3, rf"{_OWN_KID}{_WIDE}\b{_STREET}"),
    ],
    "ABT": [
        (
            3,
            rf"\b(bayi|balita)\b{_GAP}\b(dibuang|buang|ditinggal|ditemukan|kardus|tas|sendirian|ditelantarkan|diletakkan|dibungkus|ditaruh|dititipkan|dikunci|tong sampah|belum dijemput|tidak dijemput)",
        ),
        (
            3,
            rf"\b(dibuang|ditemukan|ditinggal|penemuan|menemukan|temukan|meninggalkan)\b{_GAP}\b(bayi|balita)\b",
        ),
        (3, r"\b(baru lahir|tali pusar|anyar lair)\b"),
        (2, r"\b(bayi|balita)\b"),
        # "umur 3 tahun", "anak kecil 2 th", "bayi 8 bulan": a small child by age
        (
            3,
            rf"\b(umur|usia|berumur|berusia)( kira kira| sekitar| baru| masih)? ({_SMALL_AGE})\b|\b(anak|bayi|balita|kecil)\b[^|]{{0,12}}\b({_SMALL_AGE})\b",
        ),
    ],
    "AT": [
        (3, r"\banak (terlantar|ditelantarkan|tidak diurus)\b"),
        (
            2,
            rf"\b{_CHILD}\b{_WIDE}\b(ditinggal|tidak diurus|yatim|piatu|tinggal sendiri|sendirian|diusir|kabur|tidak sekolah|putus sekolah|tanpa pengasuhan|tidak ada yang (urus|mengurus|merawat)|tidak ada orang tua)",
        ),
        (2, r"\b(yatim|piatu)\b"),
        # turned out of home: a child with nowhere to go (a homeless family with children stays GEL)
        (3, rf"\b{_CHILD}\b{_WIDE}\b(diusir|dihalau|halau|dibuang keluarga\w*)\b"),
        # left by the parents: "anak SD ditinggal orang tuanya merantau"
        (3, rf"\b{_CHILD}\w*\b{_GAP}\b(ditinggal\w*|ditelantarkan)\b{_GAP}\b{_CARER}"),
        (
            2,
            r"\btidak ada (yang|orang) (urus|mengurus|ngurus|merawat|jaga|menjaga|mengasuh|peduli)|\btanpa (pengasuh\w*|orang tua)\b",
        ),
        # a child in the post and its carers gone ("mak bapak entah ke mana", "ayah dipenjara, ibu merantau"),
        # abroad or held: "amaqne lalo ojok Malaysia", "reng towana dhaddhi TKI"
        (3, _CARER_GONE.pattern),
        # a child with a grandparent too old or ill to care for it
        (
            3,
            rf"\b{_KID}\b{_WIDE}\b(ikut|bersama|dengan|tinggal (dengan|bersama|sama)|dirawat|diasuh)( oleh)? "
            r"(nenek|kakek)\w*\b[^|]{0,40}?\b(tua|renta|pikun|sakit\w*|lumpuh|tidak (mampu|kuat|bisa))",
        ),
        # a child wandering or unfed with nobody: "due sanak bekeliling, 2 jelo ndeq mangan"
        (
            2,
            rf"\b{_KID}\b{_WIDE}\b(berkeliling|keliling|terlunta\w*|luntang lantung|menggelandang|"
            r"(\d+|dua|tiga|beberapa) hari (tidak|belum) makan|kelaparan)",
        ),
        # a lost child is a child without care until found
        (
            3,
            rf"\b{_KID}\b{_WIDE}\b(tersesat|terpisah|hilang|tidak tahu (alamat|rumah\w*|jalan pulang)|lupa (alamat|rumah))",
        ),
        # a child crying alone or not knowing where its parents are: lost, whatever the word
        (
            3,
            rf"\b{_KID}\b{_WIDE}\b(menangis sendiri\w*|mencari (ibu|bapak|orang tua)\w*|tidak tahu (ibu|bapak|orang tua)\w* (di |dari |ke )?mana)",
        ),
    ],
    "AKTK": [
        # hurt or starved as punishment, said anywhere in the child's sentence
        (
            3,
            rf"\b{_CHILD}\b{_WIDE}\b(lebam|memar|disundut|luka bakar|tidak (diberi|dikasih|dikasi) makan|dikunci di luar)",
        ),
        (
            3,
            rf"\b{_CHILD}\b{_GAP}\b(dipukul\w*|dianiaya|disiksa|disundut|dicambuk|dera|didera|ditempeleng|dikeplak\w*|lebam|memar|cabul\w*|pencabulan|kekerasan seksual|pelecehan|diperkosa|dipenthung|cambuk|luka bakar|{_HIT[1:-1]})",
        ),
        (
            3,
            rf"\b(dipukul\w*|dianiaya|disiksa|ditempeleng|dera)\b{_GAP}\b(bapak tiri|ibu tiri|ayah tiri|pacar ibu)",
        ),
        (2, r"\b(bapak|ibu|ayah|pacar ibu)\w* tiri\b"),
        (
            3,
            rf"\b(dipukul\w*|dianiaya|disiksa|dicambuk|digebuk\w*|didera|disundut|{_HIT[1:-1]}) (oleh |sama |ku )?(ayah|bapak|ibu|ortu|orang tua|paman|om|tante)\w*",
        ),
        (
            3,
            rf"\b{_KID}\b{_GAP}\b(dipekerjakan|dipaksa|kerja angkat|(disuruh|suruh|dikon|dipaksa) (kerja|bekerja|jaga|jualan|ngemis|mengemis|ngamen|mengamen))",
        ),
    ],
    "ABH": [
        # the child is the one caught or accused, not its father ("bapaknya ditahan") nor the offender
        (3, rf"\b{_CHILD}\b{_NOT_PARENT}\b{_LAW}\b"),
        (3, r"\b(anak|remaja|pelajar) pelaku\b|\bpelaku\w* (masih )?(anak|remaja|pelajar|di bawah umur)\b"),
        (3, r"\b(anak berhadapan dengan hukum|abh|diversi|lpka)\b"),
        # under age and caught, in either order: "8 orang masih di bawah umur, dibawa ke polsek"
        (3, rf"^(?=.*\bbawah umur\b)(?=.*\b{_LAW}\b)"),
        # police or probation ask for a social worker for a child
        (
            2,
            rf"^(?=.*\b{_CHILD}\b)(?=.*\b(polsek|polres|polresta|polisi|ppa|bapas)\b)(?=.*\b(pendamping|pendampingan|diperiksa|pemeriksaan|ditahan|diamankan)\b)",
        ),
    ],
    "ADK": [
        (
            3,
            rf"\b{_CHILD}\b{_GAP}\b(disabilitas|tunanetra|tunarungu|tunawicara|tunagrahita|lumpuh|tidak bisa (jalan|bicara)|cacat|luar biasa|slb|cerebral palsy|down syndrome|autis\w*|hidrosefalus|kursi roda|terapi)",
        ),
    ],
    "KTK": [
        # a maid, or a grown parent by their age, hurt: an adult victim, whoever's "anak" did it
        (
            3,
            rf"\b(art|pembantu|asisten rumah tangga|pekerja rumah tangga|prt)\b{_WIDE}\b({_HIT[1:-1]}|memar|lebam)",
        ),
        (
            3,
            rf"\b(ibu|bapak|ayah|mertua|nenek|kakek)\w* \(?(?:(?:usia|umur) [4-9]\d|[4-9]\d (?:th|thn|tahun|taun))\b{_WIDE}\b({_HIT[1:-1]}|diusir|memar|lebam)",
        ),
        (3, r"\b(kdrt|kekerasan dalam rumah tangga|dikeroyok|penganiayaan|korban kekerasan|rumah aman)\b"),
        (3, rf"\b(istri|ibu|wanita|perempuan)\w*{_GAP}\b(dipukul\w*|dianiaya|disiksa)\b{_GAP}\bsuami"),
        (3, rf"\b(istri|bojo)\w*{_GAP}\b(dipukul\w*|dianiaya|disiksa|digebuk\w*)"),
        (2, r"\bsuami\w* .{0,20}\b(pukul|aniaya|gebuk)"),
        # hurt by a spouse, a partner, an employer, a grown son: whoever the victim is, once no child is it
        (3, rf"\b{_HIT}\b{_GAP}\b(oleh |sama |dengan |ku |isiq |bi )?{_BY}"),
        (
            3,
            r"\bkorban (penganiayaan|kekerasan|pemerkosaan|perkosaan|pelecehan|pengeroyokan|begal|penusukan)\b",
        ),
        (2, rf"\b{_HIT}\b"),
        (2, r"\b(tempat aman|rumah aman|diancam dibunuh)\b"),
    ],
    "TRAF": [
        (3, r"\b(tppo|perdagangan (orang|manusia|wong)|trafficking|non prosedural|jalur tikus)\b"),
        (
            3,
            rf"\b(pengiriman|diberangkatkan|penyelundupan|dikirim)\b{_GAP}\b(pekerja migran|pmi|tki|tkw|calon pmi)|\b(pmi|tki|tkw|pekerja migran)\w* (ilegal|non prosedural)",
        ),
        (3, r"\b(dijual|disekap)\b (ke|oleh|agen|lewat|dan|di)\b|\bdisekap\b"),
        (2, r"\b(tempat hiburan|karaoke|tidak digaji|paspor\w* ditahan|tebusan|admin judi)\b"),
        # promised a job, then held, sold or made to serve
        (
            3,
            r"\b(dijanjikan|diajak|ditawari|nawarin)\b[^|]{0,30}\bkerja\w*\b[^|]{0,90}\b(ternyata|dipaksa|disuruh|disekap|dikurung|dijual|tidak digaji|tanpa gaji|eksploitasi|melayani|nemani|menemani|tebusan|tidak boleh|dilarang|ditahan)",
        ),
        (
            3,
            r"\b(dipaksa|disuruh) (melayani|menemani|nemani|layan)|\b(eksploitasi|penyelundupan|diselundupkan|penampungan gelap|dilarang pulang)\b|\btidak boleh (keluar|pulang)\b",
        ),
        (3, r"\b(curiga|diduga|katanya|korban) dijual\b"),
        (2, r"\b(paspor|dokumen|hp)\w* (ditahan|disita|ditangkap)"),
        (
            2,
            r"\b(calo|agen|sponsor|makelar|penampungan)\b[^|]{0,60}\b(disekap|dikurung|ditahan|tidak digaji|utang|tebusan|disita)",
        ),
    ],
    "PMBS": [
        # workers unpaid for months, the foreman or contractor gone, out of food far from home (session 13)
        (
            2,
            r"\b(mandor|bos|kontraktor|pemborong|majikan)\w* (kabur|lari|hilang|menghilang)\b|\b(belum|tidak) (digaji|dibayar)\b[^|]{0,12}\b\d+ (bulan|bln|sasi)\b",
        ),
        (3, r"\b(pmi|tki|tkw|pekerja migran|dideportasi|deportasi|eks pmi)\b"),
        (
            3,
            r"\b(dijanjikan kerja|ditipu (calo|agen)|tipu agen|agen kerja|calo kerja|kena tipu agen|abk)\b|\bdipulangkan dari (?!(rs|rsud|rsj|rumah sakit|puskesmas|panti|klinik)\b)|\b(kabur|lari|melarikan diri) dari majikan",
        ),
        (2, r"\b(calo|agen|kena tipu|majikan|malaysia|singapore|singapura|arab saudi|taiwan|hongkong)\b"),
        (
            3,
            r"\b(buruh|pekerja|kuli|tukang|karyawan)\w*\b[^|]{0,40}\b(tidak (dibayar|digaji)|ditelantarkan|gaji\w* (tidak|belum) dibayar|upah\w* (tidak|belum) dibayar)",
        ),
        # wages held back for months: "gaji ne ndeq te bayar 8 bulan", "wis 4 sasi ora dibayar"
        (
            3,
            r"\b(gaji|upah|bayaran)\w*\b[^|]{0,20}\b(tidak|belum) (dibayar|digaji)\b|\b\d+ bulan (tidak|belum) (dibayar|digaji)\b",
        ),
    ],
    "FM": [
        (
            3,
            r"\b(keluarga miskin|keluarga tidak mampu|(tidak ada|tanpa|tidak punya) (listrik|air bersih|jamban|mck|beras)|tidak layak huni|makan sehari sekali|rtlh|dtks)\b",
        ),
        (
            3,
            r"\b(rumah|gubuk)\w*[^|]{0,15}\b(reyot|roboh|bocor|lapuk|hampir roboh|meh ambruk|ambruk|berlantai tanah|numpang)",
        ),
        (
            2,
            r"\b(listrik|air bersih|tidak mampu|miskin|jamban|mck|beras|sembako|makan seadanya|kurang gizi)\b",
        ),
        (
            3,
            r"\b(makan (sekali|satu kali) sehari|(belum|tidak|tidak pernah) (terdaftar|dapat|menerima|tersentuh) (bansos|pkh|blt|bpnt)|rumah (triplek|papan|bilik|geribik|gedek))\b",
        ),
        (
            2,
            r"\b(tinggal|hidup)\w* di (gubuk|bedeng|kontrakan sempit)\b|\b(buruh (tani|harian|serabutan|cuci)|serabutan|kerja serabutan|kurang mampu|tidak (bisa|mampu) (bekerja|kerja))\b",
        ),
    ],
    "KBA": [
        (
            3,
            r"\b(banjir|longsor|gempa|puting beliung|angin kencang|rob|tsunami|mengungsi|ngungsi|pengungsi|erupsi)\b",
        )
    ],
    "KBS": [
        (3, r"\b(kebakaran|terbakar|bentrok|tawuran antar|kerusuhan|konflik lahan|dibakar|digusur|konflik)\b")
    ],
    "NAPZA": [
        (3, r"\b(narkoba|sabu|sakau|pecandu|kecanduan|napza|dobel l|rehab|rehabilitasi|nyabu|ngobat)\b"),
        # drinking and huffing as a habit (session 13): glue, palm wine, pills, nightly
        (
            2,
            r"\b(ngelem|nge lem|menghirup lem|hisap (gam|lem)|isap (gam|lem)|pil koplo|mabuk\w* (ciu|tuak|lem|pil|arak)|minum (tuak|ciu|arak|miras))\b",
        ),
        # a drunk raging (session 14): not the mind
        (3, r"\b(mabuk|teler)\b(?! (laut|darat|kendaraan|perjalanan|cinta|asmara|kepayang))"),
    ],
    "PD": [
        (
            3,
            r"\b(disabilitas|difabel|tunanetra|tuna netra|tuna daksa|tunadaksa|tuli|wisu|bisu|netra|tunarungu|tunawicara|tunagrahita|buta)\b",
        ),
        (2, r"\b(kursi roda|lumpuh)\b"),
    ],
    "TS": [
        (
            3,
            r"\b(psk|prostitusi|open bo|mangkal|wanita malam|pekerja seks|(jualan|menjual|jual) diri|remang remang)\b",
        )
    ],
    "PEMU": [(3, r"\b(pemulung|memulung)\b"), (2, r"\b(mulung|tpa|tps|barang bekas|rongsok\w*)\b")],
    # a poor woman heading a household alone: a widow or a wife left with the children
    "PRSE": [
        (2, r"\bjanda\b"),
        (
            3,
            rf"\bjanda\b{_WIDE}\b(anak|balita|bayi)\w*|\b(anak|balita|bayi)\w*{_WIDE}\bjanda\b|\b(ditinggal\w*|dicerai\w*|ditelantarkan) (oleh )?suami\w*|\b(orang tua tunggal|single mom|ibu tunggal|kepala keluarga perempuan)\b",
        ),
    ],
    "ODHA": [(3, r"\b(odha|hiv|aids|arv|positif hiv)\b")],
    "KBSP": [
        (
            2,
            r"\b(konflik berat|keluarga dengan konflik|bertengkar|pertengkaran|cekcok|ribut terus|psikososial|broken home)\b",
        ),
        (2, r"\b(mengancam|ancam|ingin|mau|percobaan) bunuh diri\b"),
    ],
    # a child married off or pregnant under age (the labelling choice of tests/triage/data/README.md)
    "AMPK": [
        (
            3,
            rf"\b{_GIRL}\b{_NOT_MOTHER}\b(dinikahkan|dikawinkan|nikah siri|dinikahi|hamil)\b|\b(pernikahan|perkawinan|nikah|kawin) (anak|dini|di bawah umur)\b",
        ),
    ],
    # a former prisoner with nowhere to go
    "BWBLP": [
        (
            3,
            r"\b(bekas|mantan|eks) (napi|narapidana|warga binaan|tahanan)\b|\b(baru )?(bebas|keluar) (dari )?(penjara|lapas|rutan|lp)\b",
        ),
    ],
}

# Words that name a case outright: denied ("bukan ODGJ", "tidak ada mayat") they make the post a denial.
_DENIABLE_WORDS = (
    "odgj gila stres gelandangan gepeng tunawisma pengemis pengamen terlantar pasung dipasung dirantai "
    "mayat jenazah penculikan ngemis jalanan anjal"
)
DENIABLE = _DENIABLE_WORDS.split()

# Signs that someone needs help now: they count against "not a case".
HELP = r"\b(tolong|mohon|minta (tolong|bantuan|dievakuasi|dibawa)|(minta|meminta|mohon|butuh|perlu|membutuhkan) (pendampingan|pendamping|peksos|pekerja sosial)|segera|butuh bantuan|kasihan|(siapa|ada (yang|yg)) (yang )?kenal|pelapor|melaporkan|melapor|lapor)\b"

FLAG: dict[str, str] = {
    "agitated": r"\b(ngamuk|mengamuk|amuk|lempar\w*|melempar\w*|mbalangi|bawa (parang|pisau|golok|kayu|batu|pentungan|sajam)|membawa (parang|pisau|golok|kayu|sajam)|memukul|mukul|mengancam|ancam|kejar\w*|mecah\w*|memecahkan|merusak|ngrusak|obrak abrik|menyerang|serang|pentungan|membahayakan|bahaya)\b",
    "injured": r"\b(luka\w*|terluka|berdarah|darah|lebam|memar|patah|bengkak|cedera|borok|bocor|bonyok|penuh luka)\b",
    "sick": r"\b(sakit|demam|lemas|lemes|lemah|kurus|stroke|gizi buruk|tidak (mau )?makan|belum makan|pucat|menggigil|lumpuh)\b",
    "pregnant": r"\b(hamil|mengandung)\b",
    "alone": r"\b(sendirian|tidak ada (keluarga|yang kenal|yang jaga|yang merawat|yang nolong)|tanpa keluarga|ditinggal)\b",
    # A child as the subject, said outright (not "anaknya", someone's child).
    "young": r"\b(bayi|balita|anak kecil|anak anak kecil|anak (umur|usia) \d+|(umur|usia) ([1-9]|1[0-7]) (tahun|bulan)|bawa anak|membawa anak|remaja)\b",
    "child": rf"\b({_CHILD[1:-1]}|anak anak|umur ([1-9]|1[0-7]) (tahun|bulan)|usia ([1-9]|1[0-7]) tahun|sd|smp)\b",
    # "tua" but not "orang tua" (parents, by now also "wong tuane", "mak bapak"), unless "orang tua renta"
    "elderly": rf"\b({_ELDER[1:-1]}|(?<!orang )tua|usia (6|7|8|9)\d)\b",
}


@dataclass(frozen=True, slots=True)
class Cues:
    category: dict[str, int]
    not_case: dict[str, int]
    flags: frozenset[str]
    help: bool
    denied_terms: bool  # a strong category word is in a negation scope ("bukan ODGJ")
    names: tuple[str, ...]  # which cues fired: features of the model


def _compile(table: dict[str, list[tuple[int, str]]]) -> list[tuple[str, int, gate.Gated]]:
    """One entry per key and weight, its patterns each behind a gate of the literal words every match of it
    contains (app/triage/gate.py): a post without any of them is not searched."""
    merged: dict[tuple[str, int], list[str]] = {}
    for key, pats in table.items():
        for w, p in pats:
            merged.setdefault((key, w), []).append(p)
    return [(key, w, gate.gated(ps)) for (key, w), ps in merged.items()]


@lru_cache(maxsize=1)
def _compiled() -> tuple[
    list[tuple[str, int, gate.Gated]],
    list[tuple[str, int, gate.Gated]],
    list[tuple[str, gate.Gated]],
    gate.Gated,
]:
    flags = [(k, gate.gated([p])) for k, p in FLAG.items()]
    return _compile(CATEGORY), _compile(NOT_A_CASE), flags, gate.gated([HELP])


_DENIABLE = DENIABLE_WORDS = frozenset(DENIABLE)


# A death in the family ("ibunya meninggal", "pengasuhnya sudah wafat") tells why someone is alone; it is
# no body to collect: masked like a denied word, so the JENAZAH patterns skip it.
_KIN_DEATH = re.compile(
    r"\b((?:orang tua|ibu|bapak|ayah|suami|istri|pengasuh|kakek|nenek|kakak|adik)(?:nya|ne|na|e| dia| mereka)"
    r"(?: sudah| telah)?) "
    r"(meninggal|wafat|mati)\b"
)
# Likewise a parent's mental illness when the post is about the child ("ibunya sakit jiwa, balitanya dibiarkan
# main sendiri"): the parent is why the child is neglected, not the subject. Only when a child is in the post.
_PARENT_ILL = re.compile(
    r"\b((?:orang tua|ibu|bapak|ayah)(?:nya|ne|na|e| dia)(?: sudah| juga)?) (gangguan jiwa|gila|odgj)\b"
)
# Likewise a parent held by the police or in prison when a child is in the post ("ortunya ditahan polisi, anak
# tidak ada yang urus"): why the child is alone, not a child before the law.
_PARENT_HELD = re.compile(
    r"\b((?:(?:orang tua|ibu|bapak|ayah)(?:nya|ne|na|e| dia| mereka)|orang tua)(?: yang| sudah| telah| sedang| lagi)*) "
    r"(ditahan|dipenjara|ditangkap|dibui|masuk penjara)\b"
)
_SMALL_CHILD = re.compile(r"\b(bayi|balita|anak|anak anak)\b")
_KIN_DEATH_GATE = gate.needles(_KIN_DEATH.pattern) or ("",)
_PARENT_ILL_GATE = gate.needles(_PARENT_ILL.pattern) or ("",)
_PARENT_HELD_GATE = gate.needles(_PARENT_HELD.pattern) or ("",)
_CARER_GONE_GATED = gate.gated([_CARER_GONE.pattern])
_STREET_WORK_GATED = gate.gated([_STREET_WORK.pattern])
_SCHOOL_AGE_GATED = gate.gated([_SCHOOL_AGE.pattern])


def _denied_text(toks: tuple[str, ...], neg: tuple[bool, ...]) -> tuple[str, bool]:
    """The words with denied case words masked ("bukan _odgj"), so category patterns skip them; and
    whether any was denied. "tidak ada keluarga" stays as it is: it is what the reporter saw."""
    masked = [("_" + t if n and t in _DENIABLE else t) for t, n in zip(toks, neg, strict=True)]
    text = " ".join(masked)
    if any(n in text for n in _KIN_DEATH_GATE):
        text = _KIN_DEATH.sub(r"\1 _\2", text)
    if any(n in text for n in _PARENT_ILL_GATE) and _SMALL_CHILD.search(text):
        text = _PARENT_ILL.sub(r"\1 _\2", text)
    if any(n in text for n in _PARENT_HELD_GATE) and _SMALL_CHILD.search(text):
        text = _PARENT_HELD.sub(r"\1 _\2", text)
    return text, any(m.startswith("_") for m in masked)


# "bukan orang gila, sehat": said of someone sleeping rough or lost, it tells what he is not, not that the
# report is false (session 13).
_MIND = frozenset({"odgj", "gila", "stres"})
_SEEN_OUT = ("GEL", "OT", "LUT", "PEMU", "PENG")


# The signs of a disturbed mind by family (session 14). One family is a hint (weights below); two different
# families in one post name ODGJ ("odgj:signs", weight 3), which engine._outranked lets beat a homeless,
# lost, begging or scavenging reading, a restraint reading without a restraint word, and a weak non-case.
_MIND_FAMILIES: tuple[tuple[str, int, re.Pattern[str]], ...] = tuple(
    (name, weight, re.compile(pattern))
    for name, weight, pattern in (
        (
            "delusion",
            2,
            r"\b(dikejar|diikuti|dibisiki|diganggu|diintai|diawasi)\w* (jin|setan|hantu|makhluk|orang)\w*"
            r"|\b(ngaku|mengaku)\w*[^|]{0,20}\b(dikejar|diikuti|dibisiki|nabi|wali|titisan|raja|presiden)\b"
            r"|\b(dengar|mendengar)\w* (suara|bisikan)\w*|\bhalusinasi\w*"
            r"|\b(curiga|yakin|merasa)\w*[^|]{0,40}\b(mau|ingin|akan|hendak) (membunuh|bunuh|meracuni|racun)\w*"
            r"|\bmerasa (diikuti|dikejar|diawasi|dibisiki|diintai|diguna guna)\b",
        ),
        ("relapse", 1, r"\bkambuh\w*|\bputus obat\b|\b(rsj|rumah sakit jiwa)\b"),
        (
            "raging",
            1,
            r"\bmengamuk\b|\b(membanting|melempar|lempar)\w*\b[^|]{0,15}\b(barang|kursi|piring|batu|gelas|meja|"
            r"buah|kaca|genteng|perabot)|\bmengejar\w*\b[^|]{0,10}\b(orang|anak|warga|pengendara|pejalan)\w*"
            r"|\b(bawa|membawa)\w* (parang|golok|kayu|batu|pisau|celurit|arit|sajam|bambu|besi)\b"
            r"|\b(menggedor|gedor)\w*\b[^|]{0,10}\bpintu|\bteriak\w* (teriak\w* )?tidak jelas\b"
            r"|\b(teriak|berteriak|menjerit)\w* (teriak\w* )?(tiap|setiap|malam|tengah)",
        ),
        (
            "self-talk",
            2,
            r"\bbicara\w*[^|]{0,10}\b(dengan|sama|lawan|pada|ke) (pohon|tiang|tembok|batu|kucing|langit|angin|"
            r"bayangan|patung|cermin|dinding|tanaman)\b|\b(bicara|tertawa|ketawa|senyum|menangis)\w* sendiri",
        ),
        (
            "unreachable",
            1,
            r"\b(tidak|belum) (bisa|dapat|mau) (ditanya|ditanyai|diajak bicara)\b|\bditanya\w*[^|]{0,15}\btidak "
            r"(nyambung|jelas)\b|\b(tatapan|pandangan)\w* (mata\w* )?kosong\b|\btidak (tahu|tau|ingat) "
            r"(nama|kampung|asal)\w*|\blinglung\b|\bbicara\w* (kacau|tidak jelas|tidak nyambung)\b",
        ),
        (
            "neglect",
            1,
            r"\b(badan|tubuh|awak|baju|pakaian|rambut)\w*[^|]{0,12}\b(kotor|kumal|compang|gimbal)\b"
            r"|\btidak mau (makan|diberi makan|dikasih makan)\b|\bmenolak makan\b|\b(telanjang|bugil)\b"
            r"|\btanpa busana\b|\bcelana\w* (robek|sobek)\b|\b(terus|selalu) menangis\b|\bmenangis terus\b",
        ),
    )
)


# raging of a drunk (NAPZA) or at a spouse (KTK) is no sign of the mind
_RAGE_ELSEWHERE = re.compile(
    r"\b(mabuk|mendem|teler|sakau|miras|tuak|ciu|arak|istri\w*|suami\w*|bojo\w*|binena|lakena)\b"
)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of `pattern` (for gate.gated)."""
    out, depth, start, in_class = [], 0, 0, False
    for k, ch in enumerate(pattern):
        if k and pattern[k - 1] == "\\":
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(pattern[start:k])
            start = k + 1
    return [*out, pattern[start:]]


_MIND_GATED = [gate.gated(_alternatives(rx.pattern)) for _, _, rx in _MIND_FAMILIES]


def mind_families(masked: str, hits: Sequence[bool] | None = None) -> tuple[tuple[str, ...], int]:
    """The sign families of a disturbed mind seen in `masked` (standard words), and the weight for ODGJ.
    `hits`: which families' patterns match, when the caller's gated table answered already."""
    if hits is None:
        hits = [bool(rx.search(masked)) for _, _, rx in _MIND_FAMILIES]
    found = [(name, weight) for (name, weight, _), hit in zip(_MIND_FAMILIES, hits, strict=True) if hit]
    if any(name == "raging" for name, _ in found) and _RAGE_ELSEWHERE.search(masked):
        found = [(name, weight) for name, weight in found if name != "raging"]
    if not found:
        return (), 0
    return tuple(n for n, _ in found), 3 if len(found) >= 2 else max(w for _, w in found)


def _mind_denied_of_the_homeless(
    toks: tuple[str, ...], neg: tuple[bool, ...], category: dict[str, int]
) -> bool:
    denied = {t for t, n in zip(toks, neg, strict=True) if n and t in _DENIABLE}
    return denied <= _MIND and any(category.get(c, 0) >= 2 for c in _SEEN_OUT)


@lru_cache(maxsize=1)
def _tables() -> tuple[gate.Table, gate.Table]:
    """All the gated patterns of `analyse` in two tables, one per text they read: the masked words (category
    patterns, flags, carers gone) and the plain words (non-case signs, school age, street work, help)."""
    cats, nots, flags, help_ = _compiled()
    masked = [pats for _, _, pats in cats] + [pats for _, pats in flags] + [_CARER_GONE_GATED, *_MIND_GATED]
    plain = [pats for _, _, pats in nots] + [_SCHOOL_AGE_GATED, _STREET_WORK_GATED, help_]
    return gate.Table(masked), gate.Table(plain)


@lru_cache(maxsize=4096)
def analyse(text: str) -> Cues:
    cats, nots, flags, _ = _compiled()
    in_masked_table, in_plain_table = _tables()
    toks, _, neg = words_of(text)
    plain = " ".join(toks)
    masked, denied_terms = _denied_text(toks, neg)
    category: dict[str, int] = {}
    not_case: dict[str, int] = {}
    names: list[str] = []
    in_plain = gate.slices(plain)
    in_masked = in_plain if masked == plain else gate.slices(masked)
    on_masked = in_masked_table.matches(masked, in_masked)
    on_plain = in_plain_table.matches(plain, in_plain)
    for (key, weight, _), hit in zip(cats, on_masked, strict=False):
        if hit:
            category[key] = max(category.get(key, 0), weight)
            names.append(f"cat:{key}:{weight}")
    for (key, weight, _), hit in zip(nots, on_plain, strict=False):
        if hit:
            not_case[key] = max(not_case.get(key, 0), weight)
            names.append(f"not:{key}:{weight}")
    n_mind = len(_MIND_GATED)
    families, weight = mind_families(masked, on_masked[-n_mind:])
    if weight:
        category["ODGJ"] = max(category.get("ODGJ", 0), weight)
        names.append("odgj:signs" if len(families) >= 2 else f"odgj:{families[0]}")
    if denied_terms and not _mind_denied_of_the_homeless(toks, neg, category):
        not_case["NEGASI"] = max(not_case.get("NEGASI", 0), 3)
        names.append("not:denied")
    n = len(cats)
    found = frozenset(k for (k, _), hit in zip(flags, on_masked[n : n + len(flags)], strict=True) if hit)
    names.extend(f"flag:{f}" for f in sorted(found))
    school, street_work, helps = on_plain[len(nots) :]
    if school:
        names.append("age:school")
    if on_masked[-1 - n_mind]:
        names.append("at:carer")
    if street_work:
        names.append("aj:work")
    if helps:
        names.append("help")
    return Cues(category, not_case, found, helps, denied_terms, tuple(names))


def cues_of(text: str) -> tuple[str, ...]:
    return analyse(text).names

"""What the triage understands: regional words, negation, paraphrases, non-cases with their reasons."""

from __future__ import annotations

import pytest

from app.triage.engine import suggest
from app.triage.negation import denied
from app.triage.text import tokens, words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wong edan nang pasar", ["orang", "gila", "di", "pasar"]),
        ("budak kecik kat simpang", ["anak", "kecil", "di", "simpang"]),
        ("oreng gila e pasar", ["orang", "gila", "e", "pasar"]),
        ("jalma gélo teu make baju", ["orang", "gila", "tidak", "make", "baju"]),
        ("ana' kenik ta' andi' reng towa", ["anak", "kecil", "tidak", "punya", "orang", "tua"]),
        ("gk punya rumah", ["tunawisma"]),
        ("anak2 jalanan", ["anak", "anak", "jalanan"]),
        # Sundanese -keun is -kan; Malay "kena" + verb is the di- passive; Madurese apostrophe words
        ("budakna dikawinkeun", ["anaknya", "dikawinkan"]),
        ("bini aku kena tikam laki die", ["perempuan", "aku", "ditikam", "suaminya"]),
        ("kana' bine' egebuk bapa' tere'na", ["anak", "perempuan", "dipukul", "bapak", "tiri"]),
        ("kolotna tos teu aya", ["orang", "tuanya", "sudah", "tidak", "ada"]),
    ],
)
def test_regional_words_become_standard(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_parents_are_not_elderly_and_a_parent_who_died_is_no_body() -> None:
    s = suggest("Ana bocah umur 2 taun ditinggal wong tuane nang omah kosong")
    assert "elderly" not in s.flags, s
    s = suggest("Anak 9 tahun tinggal sendirian, ibunya sudah meninggal dan bapaknya merantau")
    assert s.category == "AT" and "deceased" not in s.flags, s


def test_negation_scope_stops_at_the_sentence() -> None:
    toks = tokens("Itu bukan ODGJ. Orang gila ngamuk di pasar")
    neg = dict(zip(toks, denied(toks), strict=False))
    assert neg["odgj"] and not neg["gila"] and not neg["ngamuk"]


@pytest.mark.parametrize(
    ("text", "category", "flag"),
    [
        ("Lur, ana wong edan ngamuk nang pasar Slawi, podo mlayu kabeh", "ODGJ", "agitated"),
        ("Oreng gila ngamok e pasar Tanggul, mecah kaca warung", "ODGJ", "agitated"),
        ("Kesian tengok budak kecik jual tisu kat simpang lampu merah sampai tengah malam", "AJ", "child"),
        ("Kesian tengok atok ni tinggal sorang, tak ada anak, rumah bocor", "LUT", "elderly"),
        (
            "Ada bapak dikurung di kamar sama keluarganya sudah bertahun-tahun, makan lewat jendela",
            "PASUNG",
            "shackled",
        ),
        ("Mas2 tergeletak berdarah sendirian di pinggir jalan, gak ada yang kenal", "OT", "injured"),
        ("Anak tetangga tiap hari dipukuli bapak tirinya sampai lebam", "AKTK", "child"),
        ("Ada mayit kintir nang kali, durung ana sing ngakoni", "JENAZAH", "deceased"),
        ("Pemuda ini ditipu calo kerja, terlantar di pelabuhan, tidak punya uang pulang", "PMBS", None),
        ("Keluarga ini tidak ada listrik dan air bersih, anak 5 makan sehari sekali", "FM", None),
        # children: the law, absent parents, a small child by age, street trade, carried along by a beggar
        (
            "Budak umur 15 tahun kena tangkap polis sebab mencuri kat kedai, sekarang kat Polsek",
            "ABH",
            "child",
        ),
        (
            "Ada anak SD tinggal sama adiknya, bapaknya dipenjara dan ibunya jadi TKW di Malaysia",
            "AT",
            "child",
        ),
        ("Ana bocah umur 2 taun ditinggal wong tuane nang omah kosong", "ABT", "child"),
        ("Bocah-bocah cilik dodolan tisu nang lampu abang nganti bengi", "AJ", "child"),
        ("Ibu-ibu menggendong balita minta-minta di perempatan tiap sore", "PENG", None),
        # session 10: Madurese and Banjar wording, found dead said softly, kin who are why a child is alone
        ("Oreng lake' ghila ta' ngangghuy kalambhi e jhalan, ngoca' dhibi'", "ODGJ", None),
        ("Kakanakan umur 6 tahun dihajar ibu tirinya tiap hari, awaknya lebam", "AKTK", "child"),
        (
            "Kakek yang tinggal sendirian di kontrakan ditemukan sudah tidak ada, tetangga cium bau",
            "JENAZAH",
            None,
        ),
        ("Balita 2 tahun sering ditinggal sendirian di rumah, ibunya gangguan jiwa", "ABT", "child"),
        ("Mantan napi baru bebas dari lapas ditolak keluarga, tidur di masjid", "BWBLP", None),
    ],
)
def test_dialect_and_paraphrase_cases(text: str, category: str, flag: str | None) -> None:
    s = suggest(text)
    assert s.category == category and s.not_case is None, s
    assert flag is None or flag in s.flags, s


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Gila ya harga cabe sekarang, 120rb sekilo. Emak2 pada ngamuk", "KIASAN"),
        ("Tolong jangan disebar lagi, itu bukan ODGJ. Itu ayah saya", "NEGASI"),
        ("Update: ODGJ yang ngamuk kemarin sudah dibawa TRC Dinsos ke RSJ. Terima kasih", "SUDAH_DITANGANI"),
        ("LOKER MALAYSIA! Dibutuhkan 50 org pekerja kilang, gaji RM 2.500, minat WA 0812xxxx", "IKLAN"),
        ("Min mau tanya, apa hukumnya kalau keluarga memasung anggota keluarga yang ODGJ?", "TANYA"),
        ("Webinar kesehatan jiwa: merawat ODGJ di rumah, Sabtu via Zoom, gratis!", "BERITA"),
        ("Surabaya: Dinsos evakuasi ODGJ yang dipasung 8 tahun di sebuah desa", "BERITA"),
        ("Laporan ganda, ODGJ di Nagoya sudah dirujuk ke RSJ oleh TRC. Laporan ditutup", "SUDAH_DITANGANI"),
        ("Kalau nemu orang gila di jalan, harus lapor ke mana ya? Nomornya berapa?", "TANYA"),
        (
            "Yang katanya ada orang gila ngamuk di pasar itu salah paham, cuma orang bawa parang ke kebun",
            "NEGASI",
        ),
        (
            "Jalan di Batu Aji berlubang parah, kemarin ada nenek jatuh dari motor. Pemko tolong diperbaiki",
            "LAIN",
        ),
    ],
)
def test_not_a_case_with_its_reason(text: str, reason: str) -> None:
    s = suggest(text, region_scope="21.71")
    assert s.not_case == reason, s
    assert s.category == "unknown" and s.priority is None and s.not_case_text
    assert not s.urgent


def test_news_from_elsewhere_is_not_a_case_here() -> None:
    s = suggest("Banjir rendam ribuan rumah di Jakarta Timur, ratusan warga mengungsi", region_scope="35.09")
    assert s.not_case == "BERITA"
    # The same flood in the team's own kab/kota is a case.
    assert (
        suggest("Banjir rendam rumah warga di Puger, warga mengungsi", region_scope="35.09").category == "KBA"
    )


def test_priority_hint_follows_the_rules() -> None:
    assert suggest("orang gila mengamuk bawa parang").priority == 1
    assert suggest("ada gepeng tidur di emperan toko").priority == 3
    # Nothing names a kind of case: no category is guessed, so nothing is lifted.
    s = suggest("Warga minta dicek, ada orang di depan ruko")
    assert s.category == "unknown" and s.not_case is None


@pytest.mark.parametrize(
    ("text", "scope", "code"),
    [
        ("Odgj lempar batu depan Nagoya Hill", "21.71", "21.71.06.1003"),
        ("ODGJ ngamuk di simpang Jodoh", "21.71", "21.71.02.1002"),
        ("Kades Suren Ledokombo melapor ada warga dipasung", "35.09", "35.09.28.2002"),
        ("wong edan nang pasar Slawi", "33.28", "33.28.10"),
        ("Pengemis di depan Indomaret Sei Panas", "21.71", "21.71.10.1006"),
    ],
)
def test_places_local_names_and_locatives(text: str, scope: str, code: str) -> None:
    assert suggest(text, region_scope=scope).region_code == code


def test_the_city_is_not_its_namesake_kecamatan() -> None:
    assert suggest("Anak-anak pawai di Mataram", region_scope="52.71").region_code is None
    assert suggest("Sosialisasi di Kecamatan Mataram", region_scope="52.71").region_code == "52.71.02"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # the signs of a disturbed mind win over sleeping rough or being lost (session 13)
        ("Ada lelaki ngomong dhewek tiap hari, turu nang emperan toko pasar.", "ODGJ"),
        ("Aya lalaki linglung di terminal, teu bisa ditanya, sare di emper.", "ODGJ"),
        ("Ado urang gilo mangamuak di pasa, mancampak batu.", "ODGJ"),
        # without them, or with them denied, the homeless man is homeless
        ("Ada pakcik tidur kat bawah jambatan, tak ada rumah, bukan orang gila, sihat.", "GEL"),
    ],
)
def test_signs_of_the_mind_and_their_neighbours(text: str, category: str) -> None:
    assert suggest(text).category == category


def test_a_cancelled_report_is_handled() -> None:
    s = suggest("Pelapor membatalkan laporan tadi, anaknya sudah pulang ke rumah.")
    assert s.category == "unknown" and s.not_case == "SUDAH_DITANGANI"


@pytest.mark.parametrize(
    ("text", "families"),
    [
        ("Lelaki itu ngaku dikejar setan, lempar2 kursi ke warung.", {"delusion", "raging"}),
        ("Wonge kumat maning, bengok-bengok ora jelas saben bengi.", {"relapse", "raging"}),
        ("Ada bibinian bepandir lawan pohon, kada mau makan.", {"self-talk", "neglect"}),
        ("Asma bapak kambuh tadi malam.", {"relapse"}),
        ("Harga cabe naik lagi.", set()),
    ],
)
def test_sign_families_of_the_mind(text: str, families: set[str]) -> None:
    from app.triage.cues import mind_families

    masked = " ".join(words(text))
    assert set(mind_families(masked)[0]) == families


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # two families of signs of a disturbed mind: the mind, also over restraint without a word for it
        ("Lelaki di pasar ngaku dibisiki jin, banting piring warung, bajunya kotor sekali.", "ODGJ"),
        (
            "Pemuda tiap malam menggedor pintu tetangga, teriak tidak jelas, bawa parang, sudah 3 malam.",
            "ODGJ",
        ),
        # raging of a drunk is NAPZA, at a spouse KTK: no sign of the mind
        ("Pemuda mabuk mengamuk di pasar, banting kursi, kejar warga pakai kayu.", "NAPZA"),
        ("Suami mengamuk banting piring, kejar istri bawa parang, istri luka.", "KTK"),
        # restraint with a word for it stays PASUNG, also "karena ngamuk"
        (
            "Kakaknya diikat di tiang dapur tiap malam karena sering ngamuk, minta bantuan rehabilitasi.",
            "PASUNG",
        ),
        ("E Kalisat bede oreng e ranteh neng dhalem la abit.", "PASUNG"),
    ],
)
def test_sign_families_decide(text: str, category: str) -> None:
    assert suggest(text).category == category


def test_figurative_raging_is_no_case() -> None:
    assert suggest("Gila harga cabe, sampai kita kumat marah tiap ke pasar.").category == "unknown"

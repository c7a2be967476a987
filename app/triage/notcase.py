"""Signs that a post is no case although the words are there, by reason (figurative use, news, advert,
question, opinion, already handled, denied), and the reasons as the operator reads them. Patterns over the
normalised words, as in app/triage/cues.py, which applies them."""

from __future__ import annotations

# reason -> Indonesian text shown to the operator
REASONS: dict[str, str] = {
    "KIASAN": "Kata dipakai sebagai kiasan (mis. 'harga gila'), bukan orang yang perlu ditolong",
    "BERITA": "Berita, pengumuman atau kegiatan (webinar, sosialisasi, capaian program), bukan laporan kejadian",
    "IKLAN": "Iklan, promosi atau lowongan kerja",
    "TANYA": "Pertanyaan (hukum, program, prosedur), bukan laporan kejadian",
    "OPINI": "Opini atau komentar umum, bukan laporan kejadian",
    "SUDAH_DITANGANI": "Sudah ditangani (kabar lanjutan: TRC/petugas atau keluarga sudah menangani)",
    "NEGASI": "Disangkal: 'bukan', 'tidak ada', hoaks atau klarifikasi",
    "LAIN": "Tidak ada tanda orang yang membutuhkan layanan sosial",
}

# Who takes a case off the TRC's hands. A clinic or hospital is first aid, not the end of the case: a found baby
# or an unknown man "sudah dibawa ke puskesmas" still needs his identity, family and a place (_FIRST_AID).
# Not the police: a child or a victim the police take in is where the social case begins (ABH, KTK, TRAF).
_ACTOR = r"(trc|dinsos|dinas sosial|petugas|satpol|tagana|bpbd|keluarga\w*(?! (belum|tidak))|orang tua\w*|peksos|rsj|rsjd|rumah singgah|shelter|panti|rumah aman|rumah perlindungan|pengawasan)"
_FIRST_AID = r"(puskesmas|rsud|rsd|rumah sakit|klinik|igd)"
_DONE = r"(dirujuk|didampingi|diangkut|dijemput|dievakuasi|ditangani|dirawat|dimakamkan|diantar|dijangkau|dilepas|dipulangkan|diserahkan|dikuburkan|digawa)"

NOT_A_CASE: dict[str, list[tuple[int, str]]] = {
    "SUDAH_DITANGANI": [
        (3, rf"\b(sudah|telah|kini)\b[^|]{{0,40}}\b{_DONE}\b[^|]{{0,40}}\b{_ACTOR}"),
        (3, rf"\b{_ACTOR}\b[^|]{{0,40}}\b(sudah|telah)\b[^|]{{0,20}}\b{_DONE}"),
        (
            3,
            r"\b(laporan bisa ditutup|tidak perlu lapor lagi|sudah di (shelter|rumah singgah|rsj|panti|rumah aman)|ketemu keluarga\w*|teridentifikasi|sudah aman|sudah bebas|kini sudah|sudah dijemput|sudah settle|dah settle|laporan (sudah )?(di)?tutup|ditutup|duplikat|laporan ganda|sudah ditindaklanjuti)\b",
        ),
        (1, rf"\b(sudah|telah)\b[^|]{{0,40}}\b{_DONE}\b[^|]{{0,40}}\b{_FIRST_AID}"),
        (2, r"^(update|info terbaru|konfirmasi|alhamdulillah|koordinasi)\b"),
        # a report called off: the child or the missing person came home (session 13)
        (
            3,
            r"\b(membatalkan|batalkan|mencabut|cabut) laporan\b|\blaporan\w* (di)?(batalkan|cabut|dicabut)\b",
        ),
        (2, r"\b(terima kasih|makasih|matur nuwun|tampi asih|terimakasih)\b"),
        (1, rf"\b(sudah|telah)\b(?:(?!\b(?:belum|tidak)\b)[^|]){{0,20}}\b{_DONE}\b"),
    ],
    "BERITA": [
        (
            3,
            r"\b(disemayamkan|rumah duka|tutup usia|berpulang|webinar|seminar|sosialisasi|pelatihan|workshop|pameran|via zoom|resmikan|diresmikan|meresmikan|salurkan|menyalurkan|penghargaan|lantik|pelantikan|targetkan|kisah inspiratif|data bps)\b",
        ),
        (
            2,
            r"\b(hari [a-z ]{3,30} (sedunia|nasional|internasional)|sepanjang \d{4}|\d+ persen|tahun ini|pekan lalu|kemensos|bp2mi|pemprov|kadinsos|gelar|menggelar|tidak berpotensi|bertambah|terjaring|jaring|tragedi)\b",
        ),
        (2, r"\b(kompas|batampos|radar [a-z]+|kaltimpost|detik|tribun|antara)\b"),
        # a post that opens with a news outlet's name is its item
        (
            3,
            r"^(kompas\w*|batampos|radar [a-z]+|kaltimpost|detik\w*|tribun\w*|antara\w*|jawapos|suara [a-z]+)\b",
        ),
        (
            2,
            r"\b(polisi|polda|polres) (tangkap|gagalkan|dalami|selidiki|masih)\b|\b(sidang|terdakwa|dituntut|vonis)\b",
        ),
    ],
    "IKLAN": [
        (
            3,
            r"\b(loker|lowongan|dibutuhkan|promo|diskon|rental|open donasi|cicilan|cod|nego|daftar sekarang|link bio|kursus|fast respon|open po|hubungi kami|info lengkap|minat (wa|inbox|dm|hubungi))\b",
        ),
        (
            2,
            r"\b(dicari|jual(?! (pil|sabu|narkoba|obat|ganja|tisu|koran|kerupuk|asongan|permen|air|diri))|(?<!rumah )(?<!tunggak )(?<!nunggak )(?<!bayar )(?<!uang )sewa|jasa|(?<!tidak )(?<!tanpa )gaji(?![^|]{0,20}\b(?:tidak|belum) (?:dibayar|digaji|dikasih|diberi))|harga|donasi|pendaftaran dibuka|wa 0\d*|dm|inbox)\b",
        ),
    ],
    "TANYA": [
        # questions by their particle: "kawakah" (Banjar: can?), "bayar kah kada", "siapa yang bertanggung jawab"
        (
            2,
            r"\b(bisakah|bolehkah|apakah|haruskah|kah tidak|atau tidak)\b|\bsiapa yang (bertanggung jawab|menanggung|mengurus)\b",
        ),
        (
            3,
            r"\b(mau tanya|tanya dong|mau nanya|numpang tanya|bertanya|menanyakan|apa hukum\w*|pidananya|syarat\w*|kapan cair|cair kapan|apa beda\w*|bayar atau gratis|boleh (tidak|nggak) sih)\b",
        ),
        (
            2,
            r"\b(bagaimana|gimana) (cara\w*|prosedur\w*)|\bcara (daftar|mengurus|urus|ngurus)|\b(lapor\w*) ke (mana|nomor)|\bada (yang|yg) tau\b|\bapakah\b|\b(ditelpon|ditelepon|dihubungi) siapa\b|\bnomor\w* (berapa|pira)\b",
        ),
        (
            2,
            r"\b(lapor\w*|melapor\w*|menghubungi|hubungi) (ke|di|pada) (mana|siapa)\b|\b(harus|perlu|sebaiknya) lapor\w*\b[^|]{0,20}\b(mana|siapa)\b|\b(kalau|kalo|klo|jika|misal\w*|andai\w*) (menemukan|nemu|ketemu|melihat|lihat)\b",
        ),
    ],
    "OPINI": [
        (
            3,
            r"\b(menurut(ku| saya| aku)|stop stigma|jangan mau|semoga pemerintah|ironis|cerminan|juga manusia|darurat kekerasan)\b",
        ),
        # "dinsos harusnya turun" closes many a report: an opinion only with other signs
        (2, r"\b(seharusnya|kudune|harusnya)\b"),
        # whose duty it is, said of such people in general: "tanggung jawab keluarganya, jangan sedikit sedikit dinsos"
        (2, r"\b(tanggung jawab keluarga\w*|jaman sekarang|zaman sekarang|sedikit sedikit dinsos)\b"),
        (
            3,
            r"\b(orang gila|odgj)\b[^|]{0,40}\b(manusia|jangan (di)?(ketawa|tertawa|video|bully|guyu))|\bjangan\b[^|]{0,15}\b(ketawa|tertawa|diketawakan|diguyu)\w*\b",
        ),
        (
            2,
            r"\b(pemerintah|pemko|pemkab|kerajaan) (harus|kudu|mesti|kena|ke mana)|\bke mana (aja|saja)\b|\bmiris\b[^|]{0,20}\bberita",
        ),
    ],
    "NEGASI": [
        (
            3,
            r"\b(hoaks|klarifikasi|tidak benar|video lama|jangan (disebar|asal|main tuduh|nyebar)|salah paham|salah sangka|salah informasi|salah info|ternyata (bukan|cuma|hanya))\b",
        ),
        (1, r"\bbukan\b"),
    ],
    "KIASAN": [
        (3, r"\b(tergila gila|gila gilaan|edan edanan|gila gila|gila (bola|kerja))\b"),
        # the speaker's own mood: "rasa handak gila", "hampir gila", "bisa gila aku"
        (
            3,
            r"\b(rasa|serasa|hampir|mau|ingin|bisa) (mau |jadi )?gila\b(?! (di|dari|yang|itu|ini|ngamuk|mengamuk))",
        ),
        (
            3,
            r"\bseperti (orang (gila|mati|stres)|gelandangan|mayat|pengemis|ngemis|dipasung|macan|kubangan|sungai)",
        ),
        (
            3,
            r"\b(pengemis cinta|mayat hidup|dipasung aturan|season \d|kapan tayang|pengen ngamuk|rasa nak jadi gila|nggarai gila|atiku|jiwa jiwa)\b",
        ),
        (3, r"\b(proyek|aset|mobil|gedung|tanah|lahan)\b[^|]{0,25}\bterlantar\b"),
        (2, r"\bgila (banget|sih|tenan|benar|kali|parah|la|ya|gak sih)\b"),
        (
            2,
            r"\b(harga|macet|promo|gol|golnya|film|tiket|cerita|internet|rega|penonton)\b[^|]{0,25}\bgila\b|\bgila\b[^|]{0,25}\b(harga|macet|promo|diskon|gol|film)\b",
        ),
    ],
    "LAIN": [
        (3, r"\b(salah sambung|telepon iseng|telpon iseng|prank)\b"),
        (
            2,
            r"\b(jalan|lampu jalan|jembatan|selokan|drainase|got|trotoar|pju)\b(?: (?!\w*nya\b)[a-z]+){0,2} (rusak|berlubang|bolong|gelap|ambles|mampet|didandani|diperbaiki|dibenahi)\b|\blampu jalan\b[^|]{0,20}\bmati\b",
        ),
        (2, r"\buntung (tidak|cuma|hanya) (parah|apa apa|luka ringan|lecet)\b"),
    ],
}

"""What the labels of invoice and receipt fields look like (English and German first).

Each field lists patterns from most to least specific: the index is the label's rank, and a
lower rank wins ("Total Due" over a plain "Total"). `*_NOT` patterns are tested on the run
of words up to the label, so "Sub-Total" is never a total and "VAT No" never a tax amount.
"""

from __future__ import annotations

import re


def _rx(*patterns: str) -> list[re.Pattern[str]]:
    # Whole words only; a pattern ending in "#" or "." may run straight into its value ("#123").
    return [re.compile(rf"(?<![\w-])(?:{p})(?:(?<!\w)|(?!\w))", re.I) for p in patterns]


TOTAL = _rx(
    # what was paid after rounding: a receipt prints it below the unrounded total
    r"nett\s+total|rounded\s+total|total\s+rounded|total\s+after\s+(?:rounding|round|adj\w*)|grand\s+total"
    r"|total\s+(?:amt\s+)?payable|amount\s+payable|total\s+to\s+pay|jumlah\s+(?:besar|bayaran|keseluruhan)",
    r"total\s+(?:amount\s+|amt\s+)?due|amount\s+due|balance\s+due|total\s+amount|total\s+amt|invoice\s+total"
    r"|net\s+total\s+\(?incl|total\s*\(\s*rm\s*\)|a[mn][o0]unt\s+incl\w*[.,]?(?:\s*(?:gst|tax|vat|sst))?"
    # after "incl(usive) of", any short word: the tax's name, or an OCR misread of it ("GST" as "CS")
    r"|total\s*(?:sales?\s*)?\(?\s*(?:incl|inkl)\w*\.?(?:\s*of)?(?:\s*(?:tax|vat|gst|sst|mwst|[^\W\d_]{2,4}(?=\s*\))))?\)?"
    r"|total\s+with\s+(?:gst|tax|vat)|due\s+payable"
    r"|gesamtbetrag(?!\s+der)|rechnungsbetrag|endbetrag|gesamtsumme|bruttobetrag|bruttosumme|\w*summe\s+brutto"
    r"|brutto\s*(?:betrag|summe)|zu\s+zahlen|montant\s+total|total\s+ttc|montant\s+ttc|net\s+[àa]\s+payer"
    r"|totaal(?:\s*bedrag)?(?:\s+incl\.?)?|te\s+betalen|te\s+voldoen|importe\s+total|total\s+a\s+pagar"
    r"|saldo\s+adeudado",
    r"total|summe|gesamt|brutto|totaal|montant|jumlah",
)
TOTAL_NOT = re.compile(
    r"sub\s*-?\s*total|zwischen|excl|exkl|zzgl|netto|\bnet\b(?!\s+(?:[àa]\s+payer|total\s+\(?incl))|\bht\b|before\s+tax"
    r"|vor\s+steuer|saving|discount|rabatt|\bitems?\b|\bqty\b|quantity|\bmenge\b|\bpaid\b|tendered|carried|brought"
    r"|übertrag|total\s+(?:tax|vat|gst|mwst)|(?:tax|vat|gst|mwst)\.?\s+total|zuschl|abschl|anzahlung|skonto|\bhors\b"
    r"|exclusive|\bw/o\b|without|ohne|excluding|\bex\.?\s+(?:gst|tax|vat)|gst\s+summary|\bcash\b|change|rounding\s+adj",
    re.I,
)

# What the customer handed over and got back: with no total printed, the one less the other.
PAID = _rx(
    r"cash|tunai|received|amount\s+(?:paid|received|tendered)|paid\s+amount|tender(?:ed)?|bar(?:geld)?|gegeben|esp[èe]ces"
)
CHANGE = _rx(r"change|baki|kembalian|wang\s+baki|rückgeld|zur[üu]ck|rendu")

SUBTOTAL = _rx(
    r"sub\s*-?\s*total|zwischensumme|net\s+amount|net\s+total|total\s+net|nettobetrag|nettosumme|summe\s+netto"
    r"|total\s+(?:excl|exkl)\.?(?:\s*(?:tax|vat|gst|mwst))?|total\s+before\s+tax|total\s+ht|montant\s+ht",
    r"netto",
)

TAX = _rx(
    r"(?:(?:incl|inkl|zzgl|plus|enthaltene?|davon)\.?\s+)?(?:\d{1,2}(?:[.,]\d{1,2})?\s?%\s+)?"
    r"(?:sales\s+tax|tax|vat|gst|sst|hst|pst|mwst|ust|umsatzsteuer|mehrwertsteuer|iva|tva)\.?",
)
TAX_NOT = re.compile(
    r"\b(?:id|no|nr|number|reg|registration|exempt|invoice|total|summe|gesamt)\b|ust-?id|steuer-?nr", re.I
)

INVOICE_NUMBER = _rx(
    r"(?:invoice|inv|bill|receipt|rechnungs?|beleg|facture|factura|document|gutschrift|avoir)\s*[-.]?\s*"
    r"(?:number|nummer|num|no|nr|n°|nº|#|id)\.?|factuur\s*(?:nummer|nr|no)\.?|n[°º]\s*(?:de\s+)?(?:la\s+)?facture"
    r"|num[ée]ro\s+de\s+(?:la\s+)?facture|facture\s+n[°º]|n[úu]mero\s+de\s+factura",
    # "Handelsrechnung (380) Nr. 471102 vom ...": the document's type, then its number
    r"\w*(?:rechnung|gutschrift|invoice|facture|avoir)\b[^:\n\d]{0,40}?(?:\(\d+\)\s*)?(?:nr|no|n°|nº)\.?",
    r"inv\.|invoice|rechnung|facture|factura|factuur|avoir|gutschrift",
    r"(?:no|nr|n°|number)\.?(?=\s?:)",  # a bare "No." only with a colon: "No. 8, Jalan Pasar" is an address
)
INVOICE_NUMBER_NOT = re.compile(
    r"\b(?:date|datum|phone|tel|fax|vat|tax|ust|customer|kunden?|client|order|bestell|po|p\.o|account|konto"
    r"|iban|reference|ref|page|seite|steuer)",
    re.I,
)

INVOICE_DATE = _rx(
    r"invoice\s+date|date\s+of\s+issue|issue\s+date|date\s+issued|issued\s+on|rechnungsdatum|belegdatum"
    r"|billing\s+date|bill\s+date|receipt\s+date|transaction\s+date|date\s+de\s+(?:la\s+)?facture|fecha"
    r"|factuurdatum|beleg-?datum|issued\s+at|date\s+d['’]?[ée]mission|datum\s+factuur",
    r"date|datum|dated",
)
INVOICE_DATE_NOT = re.compile(
    r"due|fällig|zahlbar|deliver|liefer|ship|order|bestell|service|leistung|period|zeitraum|expir|valid|birth"
    r"|payment|zahlung",
    re.I,
)

DUE_DATE = _rx(
    r"due\s+date|payment\s+due(?:\s+date)?|date\s+due|due\s+on|due\s+by|pay\s+by|payable\s+by"
    r"|fällig(?:keit)?(?:\s+am)?|zahlbar\s+bis|zahlungsziel|échéance",
    r"due",
)

# What a vendor line is not: the document's type, a party label, contact or registration lines.
DOC_TYPE = re.compile(
    r"^\s*(?:tax\s+)?(?:invoice|rechnung|receipt|quittung|beleg|kassenbon|facture|factura|statement"
    r"|credit\s+note|gutschrift|pro-?forma|quot(?:e|ation)|angebot|order\s+confirmation)\b",
    re.I,
)
# A credit note's title: its amounts are stated as credited, positive (EN 16931 type 381), even
# where the page prints them with a minus.
CREDIT_NOTE = re.compile(
    r"^\s*(?:credit\s*note|avoir|gutschrift|nota\s+de\s+cr[ée]dito|note\s+de\s+cr[ée]dit|creditnota|credit\s+memo)\b",
    re.I,
)
PARTY = re.compile(
    r"^\s*(?:bill(?:ed)?\s+to|ship(?:ped)?\s+to|sold\s+to|deliver(?:y|ed)?\s+to|invoice\s+to|remit\s+to"
    r"|payable\s+to|customer|client|kunde|rechnungsempfänger|lieferadresse|empfänger|(?:to|an)\s*:)",
    re.I,
)
CONTACT = re.compile(
    r"\b(?:tel|phone|fax|e-?mail|vat|tax\s+id|ust|steuer|iban|bic|swift|abn|gst\s+(?:no|reg)|hrb|reg\.?\s+no)\b"
    r"|www\.|https?:|@",
    re.I,
)

# Rows and lines that close a list of items.
CLOSING = re.compile(
    r"^\s*(?:sub\s*-?\s*total|total|summe|gesamt|zwischensumme|tax|vat|gst|hst|mwst|ust|sales\s+tax"
    r"|amount\s+due|balance|grand\s+total|cash|change|card|visa|mastercard|tendered|rounding|payment"
    r"|rückgeld|gegeben|übertrag|carried\s+forward|net\s+(?:amount|total)|nettobetrag"
    r"|(?:incl|inkl|zzgl|enthaltene?)\.?\s)",
    re.I,
)

# Line-item table headers: (field, patterns most specific first).
ITEM_HEADERS: dict[str, list[re.Pattern[str]]] = {
    "description": _rx(
        r"description|beschreibung|bezeichnung|leistung|désignation|descripción|details",
        r"item|artikel|product|produkt|service|position|article|name|waren?",
    ),
    "quantity": _rx(r"qty|quantity|menge|anzahl|quantité|cantidad", r"units?|pcs|hrs|hours|stunden|std"),
    "unit_price": _rx(
        r"unit\s*(?:price|cost)|einzelpreis|e-?preis|preis\s*/\s*einheit|prix\s+unitaire|precio\s+unitario|rate"
        r"|each|ea",
        r"price|preis|cost|prix|precio",
    ),
    "amount": _rx(
        r"amount|betrag|line\s*total|total|gesamt(?:preis)?|summe|montant|importe|sum",
    ),
}


# Word-level synonyms for the fields of user schemas: a field named "customer_phone" also
# matches a label "Client Tel.". Keys are lower-case words of field names.
WORD_SYNONYMS: dict[str, str] = {
    "number": r"(?:number|no\.?|nr\.?|num|#)",
    "no": r"(?:number|no\.?|nr\.?|#)",
    "nr": r"(?:number|no\.?|nr\.?|#)",
    "num": r"(?:number|no\.?|nr\.?|num|#)",
    "id": r"(?:id|identifier|no\.?|number|#)",
    "date": r"(?:date|datum|dated)",
    "po": r"(?:po|p\.\s*o\.|purchase\s+order)",
    "ref": r"(?:ref\.?|reference)",
    "reference": r"(?:reference|ref\.?)",
    "customer": r"(?:customer|client|buyer|kunde|kunden)",
    "client": r"(?:client|customer|buyer)",
    "phone": r"(?:phone|tel\.?|telephone|telefon)",
    "tel": r"(?:tel\.?|phone|telephone)",
    "email": r"(?:e-?mail)",
    "vat": r"(?:vat|ust|mwst|gst)",
    "tax": r"(?:tax|vat|gst|mwst)",
    "amount": r"(?:amount|amt\.?|betrag)",
    "quantity": r"(?:quantity|qty\.?|menge)",
    "account": r"(?:account|acct\.?|a/c)",
    "address": r"(?:address|addr\.?|adresse|anschrift)",
    "order": r"(?:order|bestellung|auftrag)",
    "delivery": r"(?:delivery|shipping|ship|lieferung)",
    "payment": r"(?:payment|pay)",
    "terms": r"(?:terms|conditions)",
}
_QUOTED = re.compile(r"[\"“„'‘]([^\"”“'’]{2,40})[\"”“'’]")
MAX_DESCRIPTION_WORDS = 5  # a longer description is a sentence, not a label


def description_labels(description: str) -> list[str]:
    """Labels a description offers: the phrases it quotes ('printed as "Kd.-Nr."'), or the
    whole description when it is as short as a label ("Customer number")."""
    quoted = [m.group(1).strip() for m in _QUOTED.finditer(description)]
    if quoted:
        return quoted
    text = description.strip().rstrip(".:")
    return [text] if text and len(text.split()) <= MAX_DESCRIPTION_WORDS else []


def field_label_patterns(field: str, extra: list[str]) -> list[re.Pattern[str]]:
    """Labels for a field of a user schema: its own words with their synonyms ("po_number" →
    "PO Number", "Purchase Order No."), then its title, description and `x-labels`."""
    words = [w for w in re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", field) if w]
    parts = [WORD_SYNONYMS.get(w.lower(), re.escape(w)) for w in words]
    patterns = [r"[\s_.-]*".join(parts)] if parts else []
    patterns += [r"\s+".join(re.escape(t) for t in label.split()) for label in extra if label.strip()]
    return _rx(*patterns) if patterns else []

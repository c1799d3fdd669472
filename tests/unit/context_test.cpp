// Issue 20: where a keyword makes a value count (its label, its CSV column,
// the line before it), how grouped card numbers must look, the brand table,
// checksum validators a rule file describes, published examples.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "dlpd/inspect/block_scanner.h"
#include "dlpd/inspect/keyword_memo.h"
#include "dlpd/inspect/scan_context.h"
#include "dlpd/inspect/value_context.h"
#include "rules/compiled_ruleset.h"
#include "rules/keywords.h"
#include "rules/rule_error.h"
#include "rules/rule_loader.h"
#include "tests/unit/corpus.h"
#include "tests/unit/gateway.h"
#include "tests/unit/test_support.h"

namespace dlp {
namespace {

using V = std::vector<std::string>;

// Every cut of `text` into two pieces, and one byte at a time, finds what
// a block scan finds.
void ExpectStreamAgrees(const std::string& text) {
  const Findings block = test::Scan(text);
  for (size_t cut = 1; cut < text.size(); ++cut) {
    ASSERT_EQ(test::StreamScan(test::DefaultContext(), text, {cut}), block)
        << "cut at " << cut << " of: " << text;
  }
  ASSERT_EQ(test::StreamScan(test::DefaultContext(), text, std::vector<size_t>(text.size(), 1)),
            block)
      << "byte by byte: " << text;
}

TEST(Keywords, MatchByWordsAsLabelsAreWritten) {
  const KeywordSet k(
      {"ssn", "soc sec", "social security", "ss#", "s.s.n", "PAN", "número de seguro social"});
  for (const char* yes :
       {"ssn", "SSN", "user_ssn", "userSsn", "userSSN", "SSNNumber", "ssn2", "ssns",
        "Soc. Sec. No.", "soc_sec_num", "socSecNum", "socialSecurityNumber", "Social-Security",
        "SS#", "S.S.N.", "PAN:", "card_PAN", "Número de Seguro Social", "x\xA1ssn"}) {
    EXPECT_TRUE(k.FoundIn(yes)) << yes;
  }
  for (const char* no : {"lessnow", "ssnx", "assn", "social", "security number", "ss", "Pan",
                         "Cast Iron Pan 28cm", "pan", "seguro"}) {
    EXPECT_FALSE(k.FoundIn(no)) << no;
  }
}

// FoundIn(text) splits only where a keyword's first word may begin; it
// must find what splitting the whole text finds, on texts made of the
// bytes that decide where words split (case, digits, '#', UTF-8, dots).
TEST(Keywords, SearchingFromWordStartsFindsWhatSplittingAllFinds) {
  const KeywordSet k({"ssn", "soc sec", "social security", "ss#", "s.s.n", "ss no", "PAN",
                      "número de seguro social", "cc", "card number"});
  const std::string pieces[] = {
      "s",      "S",        "n",    "N",   "sn",     "SSN", "ss",     "#",      ".",  " ",
      "_",      "2",        "soc",  "Sec", "no",     "pan", "PAN",    "Pa",     "cc", "card",
      "Number", "\xC3\xBA", "\xA1", "-",   "número", "de",  "seguro", "social", "x"};
  std::mt19937 rng(7);
  size_t found = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const size_t n = rng() % 12;
    for (size_t i = 0; i < n; ++i) text += pieces[rng() % std::size(pieces)];
    std::array<std::string_view, 256> words;
    const size_t count = SplitWords(text, words.data(), words.size());
    const bool whole = k.FoundIn(words.data(), count);
    ASSERT_EQ(k.FoundIn(text), whole) << text;
    found += whole;
  }
  EXPECT_GT(found, 1000U);  // the texts do hold keywords
}

TEST(ValueLabel, IsReadBackwardsFromTheValue) {
  auto label = [](const std::string& text) {
    const size_t at = text.find("536");
    const ValueLabel l = LabelOf(text, at);
    return std::make_pair(l.kind, std::string(l.text));
  };
  using K = ValueLabel::Kind;
  EXPECT_EQ(label(R"({"ssn": "536221457"})"), std::make_pair(K::kJsonKey, std::string("ssn")));
  EXPECT_EQ(label(R"({"ids": [1, "2", 536221457]})"),
            std::make_pair(K::kJsonKey, std::string("ids")));
  EXPECT_EQ(label("a=1&user[ssn]=536221457"), std::make_pair(K::kField, std::string("user[ssn]")));
  EXPECT_EQ(label(R"(<input id="f" name="ssn" value="536221457">)"),
            std::make_pair(K::kTag, std::string(R"(input id="f" name="ssn" )")));
  EXPECT_EQ(label("<tr><th>SSN:</th>\n  <td class=v>536221457</td>"),
            std::make_pair(K::kCell, std::string("SSN:")));
  EXPECT_EQ(label("<tr><td>SSN</td></tr><tr><td>536221457</td>"),
            std::make_pair(K::kCell, std::string()));  // another row: no header cell
  EXPECT_EQ(label("--b\r\nContent-Disposition: form-data; name=\"ssn\"; filename=\"a\"\r\n"
                  "Content-Type: text/plain\r\n\r\n536221457"),
            std::make_pair(K::kPartName, std::string("ssn")));
  EXPECT_EQ(label("SSN is 536221457").first, K::kNone);  // free text
  EXPECT_EQ(label("ssn\n536221457").first, K::kNone);
}

TEST(SsnContext, ABareNumberCountsWithAKeywordWhereItsLabelIs) {
  for (const char* s : {
           "{\"body\":\"Hi team,\\nssn: 536221457\"}",  // JSON's \n is a line break
           "<tr><th>SSN</th><td>536221457</td></tr>",
           "<table><tr>\n  <td>Social Security No.</td>\n  <td>536221457</td>\n</tr>",
           "<dt>SSN</dt><dd>536221457</dd>",
           "<input type=\"text\" name=\"ssn\" value=\"536221457\">",
           "<label for=\"s\">SSN</label><input id=\"ssn-field\" value='536221457'>",
           "{\"applicant\":{\"socialSecurityNumber\":\"536221457\"}}",
           "{\"ssns\": [\"536221457\"]}",
           "employee[ssn]=536221457&x=1",
           "--b\r\nContent-Disposition: form-data; name=\"ssn\"\r\nContent-Type: text/plain\r\n"
           "\r\n536221457\r\n--b--",
           "SSN of applicant: 536221457",
           "SSN          536221457",
           "S.S.N. 536221457",
           "SS No. 536221457",
           "Soc. Sec. No. 536221457",
           "Social Sec # 536221457",
           "soc_sec_num=536221457",
           "SSN/ITIN: 536221457",
           "N\xC3\xBAmero de Seguro Social: 536221457",
       }) {
    EXPECT_EQ(test::Values(s), V{"536221457"}) << s;
    ExpectStreamAgrees(s);
  }
}

TEST(SsnContext, AKeywordElsewhereDoesNotMakeANumberAnSsn) {
  for (const char* s : {
           "id=536221457",
           "ssn\n536221457",                                   // the line before
           "ssn:\r\n536221457",                                //
           "{\"has_ssn\":true,\"account_id\":\"536221457\"}",  // its own label says id
           "ssn_verified=1&order=536221457",
           "<tr><td>SSN</td></tr><tr><td>536221457</td></tr>",  // another row
           "lessnow 536221457",
           "ssn=536221457x",
           "ssn 5362214570",
       }) {
    EXPECT_TRUE(test::Values(s).empty()) << s;
    ExpectStreamAgrees(s);
  }
}

TEST(CsvColumns, TheColumnUnderAKeywordHeaderIsReadInEveryRow) {
  const std::string csv =
      "id,name,ssn,dob\r\n"
      "536221457,Jane,536221458,1990-01-01\r\n"
      "536221459,\"Doe, Joe\",\"536221460\",1985-02-03\r\n"
      "536221461,Ann,536221462,1971-12-31\r\n";
  // The header's keyword does not make the next row's first field a value.
  EXPECT_EQ(test::Values(csv), (V{"536221458", "536221460", "536221462"}));
  ExpectStreamAgrees(csv);
  // As an upload: the body of a request, or a multipart part.
  const std::string req =
      "POST /import HTTP/1.1\r\nHost: hr\r\nContent-Type: text/csv\r\n\r\n" + csv;
  EXPECT_EQ(test::Values(req).size(), 3u);
  const std::string part =
      "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.csv\"\r\n"
      "\r\n" +
      csv +
      "--b\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n"
      "536221463\r\n--b--\r\n";
  EXPECT_EQ(test::Values(part).size(), 3u);  // not the next part's field
  ExpectStreamAgrees(part);
  // Tab- and semicolon-separated, the keyword spelled otherwise.
  EXPECT_EQ(test::Values("name\tSoc. Sec. No.\nJane\t536221457\n"), V{"536221457"});
  EXPECT_EQ(test::Values("name;Social Security Number\nJane;536221457\n"), V{"536221457"});
  // A blank line ends the table.
  EXPECT_TRUE(test::Values("name,ssn\nJane,536221457\n\nJoe,536221458\n").size() == 1);
  // A first line of more than 1 KiB, or with control bytes, heads no table.
  EXPECT_TRUE(test::Values(std::string(1100, 'x') + ",ssn\nJane,536221457\n").empty());
  EXPECT_TRUE(test::Values("\x01,ssn\nJane,536221457\n").empty());
}

TEST(CsvColumns, RowsCutAcrossSegmentsOnThePath) {
  const std::string csv = "name,ssn\nJane,536221458\nJoe,536221460\n";
  const std::string head =
      "POST /import HTTP/1.1\r\nHost: hr\r\nContent-Length: " + std::to_string(csv.size()) +
      "\r\n\r\n";
  const std::string req = head + csv;
  for (size_t cut = head.size() + 1; cut < req.size(); ++cut) {
    test::Gateway gw;
    gw.Send(test::Tcp4(1, req.substr(0, cut)));
    gw.Send(test::Tcp4(1 + static_cast<uint32_t>(cut), req.substr(cut)));
    const std::string got = gw.Delivered();
    ASSERT_EQ(got.size(), req.size()) << cut;
    EXPECT_EQ(got.substr(head.size()), "name,ssn\nJane,XXXXXXXXX\nJoe,XXXXXXXXX\n") << cut;
  }
}

// A stream dense with digits is walked whole, piece after piece, without
// the digit gate's spans (StreamScanner); the blank line before a CSV
// header is still noted, wherever a piece ends around it, and the column
// read as the block scan reads it.
TEST(CsvColumns, ATableAfterDenseApiPiecesIsRead) {
  test::CorpusGenerator gen(9);
  for (const char* blank : {"\n\n", "\r\n\r\n", "\n\r\n"}) {
    const std::string dense = gen.Api(5000);
    const std::string text =
        dense + blank + "name,ssn,dob\nJane,536221458,1990-01-01\nJoe,536221460,1985-02-03\n";
    const Findings block = test::Scan(text);
    ASSERT_GE(block.size(), 2u) << blank;
    const size_t at = dense.size();
    for (size_t end = at - 3; end <= at + 5; ++end) {
      // Pieces of 1448 bytes (dense ones first: the scanner walks the
      // next whole), the last ending at `end`, then the rest.
      std::vector<size_t> cuts;
      size_t used = 0;
      while (end - used > 1448) {
        cuts.push_back(1448);
        used += 1448;
      }
      cuts.push_back(end - used);
      cuts.push_back(text.size() - end);
      EXPECT_EQ(test::StreamScan(test::DefaultContext(), text, cuts), block)
          << "cut at " << end << " of the blank line at " << at;
    }
  }
}

TEST(PanBrands, ThePublishedRangesAreCards) {
  for (const char* s :
       {"8171241592066118", "6759241592066112", "5018002309721517", "2200241592066116",
        "6521552415920666", "5085002309721515", "6070122415920663", "8200241592066113",
        "5060992309721516", "9792241592066115", "5019241592066110", "3852241592066115"}) {
    ASSERT_EQ(test::WithLuhnDigit(std::string(s).substr(0, 15)), s);
    EXPECT_EQ(test::Values(std::string("pay ") + s), V{s}) << s;
  }
  EXPECT_STREQ(CardBrand("8171241592066118"), "unionpay");
  EXPECT_STREQ(CardBrand("2200241592066116"), "mir");
  EXPECT_STREQ(CardBrand("6759241592066112"), "maestro");
  EXPECT_STREQ(CardBrand("6521552415920666"), "rupay");
  EXPECT_EQ(CardBrand("6042598960123456"), nullptr);        // not all of 60 is RuPay
  EXPECT_STREQ(CardBrand("6221260000000000"), "discover");  // 622126-622925 over UnionPay's 62
}

TEST(PanLengths, RareLengthsNeedACardKeyword) {
  for (const char* s : {"4222222222222", "4000864542846", "36227206271667", "30569309025904",
                        "4111111111111111110", "6200410946685234708"}) {
    EXPECT_TRUE(test::Values(std::string("n ") + s + ".").empty()) << s;
    EXPECT_EQ(test::Values(std::string("card ") + s + "."), V{s}) << s;
    EXPECT_EQ(test::Values(std::string("{\"cc_number\":\"") + s + "\"}"), V{s}) << s;
  }
  // One EAN-13 barcode in ten with a 4xx prefix passes as a 13-digit Visa.
  EXPECT_TRUE(test::Values("gtin 4006381333931 ean 4000864542846").empty());
  // Printed in an issuer's groups, a 19-digit number needs no keyword (its
  // first 16 digits happen to be a card too).
  EXPECT_EQ(test::Values("4111 1111 1111 1111 110"),
            (V{"4111 1111 1111 1111", "4111 1111 1111 1111 110"}));
  EXPECT_EQ(test::Values("6200 4109 4668 5234 708"), V{"6200 4109 4668 5234 708"});
}

TEST(PanGroups, GroupedAsIssuersPrintOrWithAKeyword) {
  EXPECT_EQ(test::Values("5105 1051 0510 5100"), V{"5105 1051 0510 5100"});
  EXPECT_EQ(test::Values("3782 822463 10005"), V{"3782 822463 10005"});
  EXPECT_EQ(test::Values("4111 1111 1111 1111 12/28"), V{"4111 1111 1111 1111"});
  EXPECT_EQ(test::Values("paid 5 4111 1111 1111 1111 123"), V{"4111 1111 1111 1111"});
  // A date or a phone number next to it is no group of a run (found by the
  // NFQUEUE end-to-end test: "card=4111 1111 1111 1111 2026-11-22 lorem").
  for (const char* s :
       {"card=4111 1111 1111 1111 2026-11-22 lorem", "card=4111 1111 1111 1111 555-123-4567 ipsum",
        "on 2026-11-22 4111 1111 1111 1111 x", "4111-1111-1111-1111 2026 x"}) {
    EXPECT_EQ(test::Values(s).size(), 1u) << s;
    ExpectStreamAgrees(s);
  }
  EXPECT_TRUE(test::Values("ref 4111 11 1111 1111 11").empty());
  EXPECT_EQ(test::Values("card: 4111 11 1111 1111 11"), V{"4111 11 1111 1111 11"});
}

TEST(PanGroups, ARunOfGroupsAsWideIsATable) {
  for (const char* s : {
           "4614 9903 4939 4433 5025 4830 1966 0001 7957",  // every window of a row
           "5105 1051 0510 5100 0000",
           "0000 5105 1051 0510 5100",
           "DE89 3704 0044 0532 0130 00",  // an IBAN's groups: "DE89" is one
           "FR76 8828 5105 1051 0510 5100 079",
           "1999 2000 2001 538 4111 1111 1111 1111",  // two groups before it, of any width
           "4111 1111 1111 1111 12 2024 x",           // two after it
           // Rows of the same shape around it that are no cards.
           "1903 9465 1387 8832\n2101 4410 2209 5512\n4111 1111 1111 1111\n",
           "4111 1111 1111 1111\r\n1903 9465 1387 8832\r\n2101 4410 2209 5512\r\n",
           "1903 9465 1387 8832\n4111 1111 1111 1111\n2101 4410 2209 5512\n",
       }) {
    EXPECT_TRUE(test::Values(s).empty()) << s;
    ExpectStreamAgrees(s);
  }
  // A list of cards is a list of values, a mistyped one in it too.
  EXPECT_EQ(test::Values("4111 1111 1111 1111\n4111 1111 1111 1112\n"), V{"4111 1111 1111 1111"});
  EXPECT_EQ(test::Values("5555 5555 5555 4444\n5555 5555 5555 4445\n6011 0009 9013 9424\n"),
            (V{"5555 5555 5555 4444", "6011 0009 9013 9424"}));
  // With a card keyword, an expiry (MMYY) and a CVV after it: a card's
  // line; without one, a table's row.
  EXPECT_EQ(test::Values("card: 4111 1111 1111 1111 1228"), V{"4111 1111 1111 1111"});
  EXPECT_TRUE(test::Values("4111 1111 1111 1111 1228").empty());
  EXPECT_EQ(test::Values("card 4111 1111 1111 1111 1228 123"), V{"4111 1111 1111 1111"});
  ExpectStreamAgrees("card 4111 1111 1111 1111 1228 123");
  // But a month-like group in a run of groups is a table's.
  EXPECT_TRUE(test::Values("4444 5748 3958 3994 0527 4597 3542 1649").empty());
  EXPECT_TRUE(test::Values("4111 1111 1111 1111 1228 123 4567").empty());
  ExpectStreamAgrees("4444 5748 3958 3994 0527 4597 3542 1649");
  const std::string list = "4111 1111 1111 1111\n5105 1051 0510 5100\n3782 822463 10005\n";
  EXPECT_EQ(test::Values(list),
            (V{"4111 1111 1111 1111", "5105 1051 0510 5100", "3782 822463 10005"}));
  ExpectStreamAgrees(list);
  // A list of other numbers, one per line, is no list of cards.
  EXPECT_TRUE(test::Values("378282246310006\n378282246310005\n378282246310004\n").empty());
  EXPECT_EQ(test::Values("378282246310005\n371449635398431\n"),
            (V{"378282246310005", "371449635398431"}));
  ExpectStreamAgrees("378282246310006\n378282246310005\n378282246310004\n");
  // Something else on the next line: a card.
  EXPECT_EQ(test::Values("4111 1111 1111 1111\nexp 12/28"), V{"4111 1111 1111 1111"});
  ExpectStreamAgrees("4111 1111 1111 1111\nexp 12/28");
}

TEST(PanExclude, ALabelThatNamesAnotherNumberIsNoCard) {
  for (const char* s : {
           "{\"order_id\":\"4111111111111111\"}",
           "{\"id\": 4111111111111111}",
           "device_id=5105105105105100; theme=dark",
           "X-Trace: span=4111111111111111&x",
           "order_id,gtin,qty\n1,4111111111111111,2\n",
           "Your FedEx parcel 378282246310005 ships",
           "<td class=\"sku\">x</td>",
       }) {
    EXPECT_TRUE(test::Values(s).empty()) << s;
    ExpectStreamAgrees(s);
  }
  // A keyword in the label wins; a card keyword on the line too.
  EXPECT_EQ(test::Values("{\"card_id\":\"4111111111111111\"}"), V{"4111111111111111"});
  EXPECT_EQ(test::Values("card for parcel 378282246310005"), V{"378282246310005"});
  EXPECT_EQ(test::Values("ref no.4111111111111111"), V{"4111111111111111"});
}

// JSON's one-letter escapes are what the application reads: "\n" is a
// line break, not the letter n touching the number (found in review).
TEST(JsonEscapes, AValueAfterALineBreakInAStringIsFound) {
  EXPECT_EQ(test::Values(R"({"text":"Card:\n4111111111111111\nExp 12/28"})"),
            V{"4111111111111111"});
  EXPECT_EQ(test::Values(R"({"text":"My details:\n536-22-1457"})"), V{"536-22-1457"});
  EXPECT_EQ(test::Values(R"({"text":"Visa\t5555555555554444"})"), V{"5555555555554444"});
  ExpectStreamAgrees(R"({"text":"Card:\n4111111111111111\nExp 12/28"})");
}

TEST(KnownExamples, AreFoundAndReportedAsExamples) {
  const Findings f = test::Scan("ssn 078-05-1120 and 536-22-1457");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_STREQ(f[0].detail, kDetailExample);
  EXPECT_STREQ(f[1].detail, "");
  EXPECT_EQ(test::Mask("ssn 078-05-1120"), "ssn XXX-XX-XXXX");
}

// The packet path holds a card at a segment's end while the next line may
// be a row of a table: masked when it is not, left as it is when it is.
TEST(PanGroups, TheGatewayWaitsForTheNextLineOfAPossibleTable) {
  auto run = [](const std::string& next_line) {
    const std::string first = "4111 1111 1111 1111\n";
    const std::string body = first + next_line;
    const std::string head =
        "POST /t HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n";
    test::Gateway gw;
    gw.Send(test::Tcp4(1, head + first));
    EXPECT_EQ(gw.out.size(), 0u) << "held until the next line";
    gw.Send(test::Tcp4(1 + static_cast<uint32_t>(head.size() + first.size()), next_line));
    return gw.Delivered().substr(head.size());
  };
  EXPECT_EQ(run("1903 9465 1387 8832\n2101 4410 2209 5512\n"),
            "4111 1111 1111 1111\n1903 9465 1387 8832\n2101 4410 2209 5512\n");
  EXPECT_EQ(run("5105 1051 0510 5100\n"), "XXXX XXXX XXXX XXXX\nXXXX XXXX XXXX XXXX\n");
  EXPECT_EQ(run("thanks\n"), "XXXX XXXX XXXX XXXX\nthanks\n");
}

std::shared_ptr<const CompiledRuleset> Compile(const std::string& yaml) {
  return CompiledRuleset::Compile(BuildRuleSet({{"t.yaml", yaml}}));
}

Findings ScanWith(const std::shared_ptr<const CompiledRuleset>& rules, const std::string& text) {
  auto ctx = std::move(ScanContext::Create(rules)).value();
  Findings f;
  EXPECT_TRUE(ScanBlock(*ctx, reinterpret_cast<const uint8_t*>(text.data()), text.size(), &f));
  return f;
}

TEST(ChecksumValidators, ARuleFileDescribesLuhnWithPrefixesMod97AndWeights) {
  auto rules = Compile(R"(rules:
  - id: loyalty
    validator: {checksum: luhn, length: '12', prefixes: ['60', {range: '7000-7099', name: gold}]}
    boundary: number
    patterns: ['\d{12}']
  - id: iban
    validator: {checksum: mod97, length: 15-34}
    boundary: token
    patterns: ['[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?']
  - id: aba
    validator: {checksum: weights, weights: [3, 7, 1], modulus: 10, length: '9'}
    boundary: number
    context: {keywords: [routing, aba], before: 24, labels: true}
    patterns: [{regex: '\d{9}', context: required}]
)");
  const std::string loyalty_gold = test::WithLuhnDigit("70501234567");
  const std::string loyalty = test::WithLuhnDigit("60501234567");
  const std::string other = test::WithLuhnDigit("50501234567");
  Findings f = ScanWith(rules, loyalty + " " + loyalty_gold + " " + other);
  ASSERT_EQ(f.size(), 2u);
  EXPECT_STREQ(f[1].detail, "gold");
  EXPECT_EQ(ScanWith(rules, "DE89 3704 0044 0532 0130 00 and GB29NWBK60161331926819").size(), 2u);
  EXPECT_EQ(ScanWith(rules, "DE88 3704 0044 0532 0130 00").size(), 0u);  // check digits wrong
  EXPECT_EQ(ScanWith(rules, "routing: 021000021").size(), 1u);           // 3 7 1 weights
  EXPECT_EQ(ScanWith(rules, "routing: 021000022").size(), 0u);
  EXPECT_EQ(ScanWith(rules, "id 021000021").size(), 0u);  // no keyword
  EXPECT_TRUE(Mod97Valid("GB82WEST12345698765432"));
  EXPECT_FALSE(Mod97Valid("GB82WEST12345698765433"));
}

TEST(RuleFile, ContextLayoutsAndChecksumsAreCheckedWhenLoaded) {
  auto error = [](const std::string& rule) {
    try {
      BuildRuleSet({{"t.yaml", "rules:\n  - id: r\n    patterns: ['\\d{9}']\n" + rule}});
    } catch (const RuleError& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  EXPECT_NE(error("    validator: {checksum: crc}\n").find("luhn, mod97 or weights"),
            std::string::npos);
  EXPECT_NE(error("    validator: {checksum: weights}\n").find("needs 'weights'"),
            std::string::npos);
  EXPECT_NE(error("    validator: {checksum: luhn, prefixes: ['5-55']}\n").find("as many digits"),
            std::string::npos);
  EXPECT_NE(error("    validator: {checksum: mod97, prefixes: ['1']}\n").find("no prefixes"),
            std::string::npos);
  EXPECT_NE(error("    validator: {checksum: luhn, length: '19-13'}\n").find("length"),
            std::string::npos);
  EXPECT_NE(
      error("    validator: {checksum: luhn, length: '99999999999999999999'}\n").find("length"),
      std::string::npos);
  EXPECT_NE(error("    layouts: ['4-x']\n").find("group widths"), std::string::npos);
  EXPECT_NE(error("    context: {before: 8}\n").find("keywords"), std::string::npos);
  EXPECT_NE(error("    context: {keywords: [a], before: 999}\n").find("before"), std::string::npos);
  EXPECT_NE(error("    context: {keywords: [a], labels: yes}\n").find("true or false"),
            std::string::npos);
  EXPECT_EQ(error("    context: {keywords: [a], labels: true, exclude: [id]}\n"), "loaded");
  try {
    BuildRuleSet({{"t.yaml",
                   "rules:\n  - id: r\n    patterns: [{regex: '\\d{9}', context: "
                   "required}]\n"}});
    ADD_FAILURE() << "context: required without keywords loaded";
  } catch (const RuleError& e) {
    EXPECT_NE(std::string(e.what()).find("keywords"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlp

namespace dlp {
namespace {

// LineBefore as its header defines it, a byte at a time.
std::string_view LineBeforeByBytes(std::string_view text, size_t at, size_t n) {
  if (n == 0) return {};
  size_t from = at > n ? at - n : 0;
  const size_t floor = at > kLabelReach ? at - kLabelReach : 0;
  while (from > floor && text[from - 1] != '\n' && text[from - 1] != ' ') --from;
  size_t start = at;
  while (start > from && text[start - 1] != '\n' && text[start - 1] != '\0') --start;
  return text.substr(start, at - start);
}

TEST(LineBefore, AsTheByteLoopForEveryPlaceAndReach) {
  // Words, spaces, line breaks and boundary bytes, sparse and dense, so
  // that each search meets its bytes at every distance, none, or several.
  std::mt19937 rng(7);
  for (const int spread : {3, 20, 120, 400}) {
    std::string text;
    for (int i = 0; i < 900; ++i) {
      const unsigned r = rng() % static_cast<unsigned>(spread);
      text += r == 0 ? ' ' : r == 1 ? '\n' : r == 2 ? '\0' : static_cast<char>('a' + rng() % 26);
    }
    for (size_t at = 0; at <= text.size(); at += 7) {
      for (const size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{32}, size_t{40}, size_t{255},
                             size_t{256}, size_t{257}, size_t{300}}) {
        ASSERT_EQ(LineBefore(text, at, n), LineBeforeByBytes(text, at, n))
            << "spread " << spread << " at " << at << " n " << n;
      }
    }
  }
}

// A worker's memo of keyword answers gives the answer the set gives, for
// two sets asked about the same labels, labels that differ only in their
// middle or their case, more labels than it has entries (each one evicts
// another), and texts too long to keep; and it does recall.
TEST(KeywordMemo, AnswersAsTheSetDoes) {
  const KeywordSet card(V{"card", "cc", "PAN", "card number"});
  const KeywordSet ssn(V{"ssn", "social security"});
  std::vector<std::string> labels = {"client_id",
                                     "user_id",
                                     "card_no",
                                     "cardNo",
                                     "pan",
                                     "PAN",
                                     "Pan",
                                     "ssn",
                                     "has_ssn",
                                     "ssn_hash",
                                     "xssnx",
                                     "social_security",
                                     "socialX",
                                     "",
                                     "c",
                                     "cc",
                                     "card number of holder",
                                     "credit_card_number_field_x"};
  std::mt19937 rng(7);
  for (int i = 0; i < 600; ++i) {
    std::string l = "f" + std::to_string(rng() % 1000) + (rng() % 2 == 0 ? "_card" : "_id");
    labels.push_back(l);
  }
  labels.push_back(std::string(KeywordMemo::kMaxText + 5, 'a') + " ssn");
  KeywordMemo memo;
  for (int round = 0; round < 20000; ++round) {
    const std::string& l = labels[rng() % (round < 10000 ? 18 : labels.size())];
    const KeywordSet& set = rng() % 2 == 0 ? card : ssn;
    ASSERT_EQ(memo.FoundIn(set, l), set.FoundIn(l)) << "'" << l << "' round " << round;
  }
  EXPECT_GT(memo.hits(), 9000u);
  EXPECT_GT(memo.misses(), 300u);
  // A text and a longer one that begins with it, kept in one set: each its
  // own answer ("x ssn" holds the keyword, "x ssnx" does not), the longer
  // asked first.
  std::string shorter;
  std::string longer;
  for (int k = 0; k < 100000 && longer.empty(); ++k) {
    const std::string a = std::to_string(k) + " ssn";
    for (const char* more : {"x", "q", "z1", "zz"}) {
      if (KeywordMemo::SlotOf(&ssn, a) == KeywordMemo::SlotOf(&ssn, a + more)) {
        shorter = a;
        longer = a + more;
      }
    }
  }
  ASSERT_FALSE(longer.empty());
  ASSERT_NE(ssn.FoundIn(shorter), ssn.FoundIn(longer));
  KeywordMemo fresh;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(fresh.FoundIn(ssn, longer), ssn.FoundIn(longer)) << longer;
    EXPECT_EQ(fresh.FoundIn(ssn, shorter), ssn.FoundIn(shorter)) << shorter;
  }
  // Too long to keep: judged every time.
  const uint64_t hits = memo.hits();
  EXPECT_TRUE(memo.FoundIn(ssn, labels.back()));
  EXPECT_TRUE(memo.FoundIn(ssn, labels.back()));
  EXPECT_EQ(memo.hits(), hits);
}

}  // namespace
}  // namespace dlp

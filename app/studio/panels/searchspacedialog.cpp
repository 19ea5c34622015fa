#include "panels/searchspacedialog.hpp"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <exception>

#include "automl/engine/run.hpp"

namespace glasswing::studio {
namespace {

using nlohmann::ordered_json;

constexpr int kKindRole = Qt::UserRole + 1;  // on the Parameter item: int | float | categorical
constexpr int kLowRole = Qt::UserRole + 2;   // the family's bounds
constexpr int kHighRole = Qt::UserRole + 3;

QString number(double v) { return QString::number(v, 'g', 6); }

QString jsonText(const ordered_json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_number_float()) return number(v.get<double>());
  return QString::fromStdString(v.dump());
}

// A cell's text as a JSON value: a number, true/false or a list when it reads as one, else a string.
ordered_json parseValue(const QString& text) {
  const std::string s = text.trimmed().toStdString();
  ordered_json j = ordered_json::parse(s, nullptr, false);
  if (j.is_discarded()) return ordered_json(s);
  return j;
}

QString rangeText(const engine::ParamSpec& spec) {
  if (spec.kind == "categorical") {
    QStringList choices;
    for (const auto& c : spec.choices) choices << jsonText(c);
    return SearchSpaceDialog::tr("one of %1").arg(choices.join(QStringLiteral(", ")));
  }
  QString text = QStringLiteral("[%1, %2]").arg(number(spec.low), number(spec.high));
  text += spec.kind == "int" ? SearchSpaceDialog::tr(" integer") : SearchSpaceDialog::tr(" real");
  if (spec.log) text += SearchSpaceDialog::tr(", log scale");
  return text;
}

QTableWidgetItem* readOnly(const QString& text) {
  auto* item = new QTableWidgetItem(text);
  item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
  return item;
}

}  // namespace

SearchSpaceDialog::SearchSpaceDialog(const QStringList& families, const ordered_json& edits, QWidget* parent)
    : QDialog(parent),
      m_table(new QTableWidget(this)),
      m_status(new QLabel(this)),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel | QDialogButtonBox::Reset, this)) {
  setWindowTitle(tr("Search space"));
  auto* intro = new QLabel(tr("Each chosen family's searched parameters with their default ranges. Fix a value, "
                              "or narrow the range with Low and High (for a choice: one value, or several "
                              "separated by commas). Empty cells keep the default."),
                           this);
  intro->setWordWrap(true);

  m_table->setColumnCount(ColumnCount);
  m_table->setHorizontalHeaderLabels(
      {tr("Family"), tr("Parameter"), tr("Default range"), tr("Default"), tr("Fixed value"), tr("Low"), tr("High")});
  m_table->verticalHeader()->hide();
  m_table->setAccessibleName(tr("Search space parameters"));
  m_filling = true;
  for (const QString& family : families) {
    std::vector<engine::ParamSpec> specs;
    try {
      specs = engine::family_space(family.toStdString());
    } catch (const std::exception&) {
      continue;  // not in this build
    }
    const auto f = edits.is_object() ? edits.find(family.toStdString()) : edits.end();
    for (const auto& spec : specs) {
      const int row = m_table->rowCount();
      m_table->insertRow(row);
      m_table->setItem(row, Family, readOnly(family));
      auto* name = readOnly(QString::fromStdString(spec.name));
      name->setData(kKindRole, QString::fromStdString(spec.kind));
      name->setData(kLowRole, spec.low);
      name->setData(kHighRole, spec.high);
      m_table->setItem(row, Parameter, name);
      m_table->setItem(row, Range, readOnly(rangeText(spec)));
      m_table->setItem(row, Default, readOnly(spec.default_value.is_null() ? QString() : jsonText(spec.default_value)));
      QString fixed, low, high;
      if (edits.is_object() && f != edits.end() && f->contains(spec.name)) {
        const ordered_json& e = f->at(spec.name);
        if (e.is_object()) {
          low = jsonText(e.value("low", ordered_json()));
          high = jsonText(e.value("high", ordered_json()));
        } else if (e.is_array()) {
          QStringList parts;
          for (const auto& v : e) parts << jsonText(v);
          fixed = parts.join(QStringLiteral(", "));
        } else {
          fixed = jsonText(e);
        }
      }
      m_table->setItem(row, Fixed, new QTableWidgetItem(fixed));
      auto* lowItem = new QTableWidgetItem(low);
      auto* highItem = new QTableWidgetItem(high);
      if (spec.kind == "categorical") {
        lowItem->setFlags(Qt::ItemIsEnabled);
        highItem->setFlags(Qt::ItemIsEnabled);
      }
      m_table->setItem(row, Low, lowItem);
      m_table->setItem(row, High, highItem);
    }
  }
  m_filling = false;
  m_table->resizeColumnsToContents();
  m_table->horizontalHeader()->setStretchLastSection(true);

  m_status->setWordWrap(true);
  m_status->setTextFormat(Qt::PlainText);
  m_status->setAccessibleName(tr("Search space check"));
  m_buttons->button(QDialogButtonBox::Reset)->setText(tr("Reset all"));
  m_buttons->button(QDialogButtonBox::Reset)->setToolTip(tr("Search every parameter over its default range."));

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(intro);
  layout->addWidget(m_table, 1);
  layout->addWidget(m_status);
  layout->addWidget(m_buttons);
  resize(760, 480);

  connect(m_table, &QTableWidget::itemChanged, this, [this] {
    if (!m_filling) validate();
  });
  connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
    validate();
    if (m_valid) accept();
  });
  connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(m_buttons->button(QDialogButtonBox::Reset), &QPushButton::clicked, this, &SearchSpaceDialog::resetAll);
  validate();
}

QPushButton* SearchSpaceDialog::okButton() const { return m_buttons->button(QDialogButtonBox::Ok); }

int SearchSpaceDialog::rowOf(const QString& family, const QString& parameter) const {
  for (int row = 0; row < m_table->rowCount(); ++row)
    if (m_table->item(row, Family)->text() == family && m_table->item(row, Parameter)->text() == parameter) return row;
  return -1;
}

bool SearchSpaceDialog::setCell(const QString& family, const QString& parameter, Column column, const QString& text) {
  const int row = rowOf(family, parameter);
  if (row < 0 || (column != Fixed && column != Low && column != High)) return false;
  m_table->item(row, column)->setText(text);  // itemChanged validates
  return true;
}

void SearchSpaceDialog::resetAll() {
  m_filling = true;
  for (int row = 0; row < m_table->rowCount(); ++row)
    for (const int column : {Fixed, Low, High}) m_table->item(row, column)->setText(QString());
  m_filling = false;
  validate();
}

// The cells as RunSettings::space, checked by the engine (the one place that knows the rules).
void SearchSpaceDialog::validate() {
  ordered_json space = ordered_json::object();
  m_problem.clear();
  for (int row = 0; row < m_table->rowCount() && m_problem.isEmpty(); ++row) {
    const QString family = m_table->item(row, Family)->text();
    const QTableWidgetItem* name = m_table->item(row, Parameter);
    const QString fixed = m_table->item(row, Fixed)->text().trimmed();
    const QString low = m_table->item(row, Low)->text().trimmed();
    const QString high = m_table->item(row, High)->text().trimmed();
    if (fixed.isEmpty() && low.isEmpty() && high.isEmpty()) continue;
    const QString label = family + QLatin1Char('.') + name->text();
    ordered_json edit;
    if (!fixed.isEmpty()) {
      if (!low.isEmpty() || !high.isEmpty()) {
        m_problem = tr("%1: give a fixed value or a range (Low, High), not both.").arg(label);
        break;
      }
      if (name->data(kKindRole).toString() == QStringLiteral("categorical") && fixed.contains(QLatin1Char(','))) {
        edit = ordered_json::array();
        for (const QString& part : fixed.split(QLatin1Char(','), Qt::SkipEmptyParts)) edit.push_back(parseValue(part));
      } else {
        edit = parseValue(fixed);
      }
    } else {
      // An open end keeps the family's bound.
      edit = ordered_json{{"low", low.isEmpty() ? ordered_json(name->data(kLowRole).toDouble()) : parseValue(low)},
                          {"high", high.isEmpty() ? ordered_json(name->data(kHighRole).toDouble()) : parseValue(high)}};
    }
    space[family.toStdString()][name->text().toStdString()] = edit;
  }
  if (m_problem.isEmpty()) {
    try {
      m_edits = engine::check_space_edits(space);
    } catch (const std::exception& e) {
      m_problem = QString::fromUtf8(e.what());
    }
  }
  m_valid = m_problem.isEmpty();
  if (m_valid) {
    int count = 0;
    for (const auto& [family, params] : m_edits.items()) count += static_cast<int>(params.size());
    m_status->setText(count == 0 ? tr("Every parameter is searched over its default range.")
                                 : tr("%n parameter(s) edited; the run searches the edited space.", nullptr, count));
    m_status->setStyleSheet(QString());
  } else {
    m_status->setText(tr("Not valid: %1").arg(m_problem));
    m_status->setStyleSheet(QStringLiteral("color: #D55E00"));
  }
  okButton()->setEnabled(m_valid);
}

}  // namespace glasswing::studio

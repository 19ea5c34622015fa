#include "study/cardsortdialog.hpp"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

#include <set>

namespace glasswing::studio {
namespace {
constexpr int kCardIdRole = Qt::UserRole + 1;
}

CardSortDialog::CardSortDialog(const studies::CardSort& cardSort, QWidget* parent)
    : QDialog(parent), m_sort(cardSort), m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok, this)) {
  setWindowTitle(tr("Card sort"));
  setObjectName(QStringLiteral("card_sort_%1").arg(QString::fromStdString(cardSort.id)));
  auto* layout = new QVBoxLayout(this);
  if (!cardSort.instructions.empty()) {
    auto* instructions = new QLabel(QString::fromStdString(cardSort.instructions), this);
    instructions->setWordWrap(true);
    layout->addWidget(instructions);
  }
  if (ranks()) {
    auto* box = new QGroupBox(tr("Rank the cards (most important first)"), this);
    auto* row = new QHBoxLayout(box);
    m_rankList = new QListWidget(box);
    m_rankList->setDragDropMode(QAbstractItemView::InternalMove);
    m_rankList->setDefaultDropAction(Qt::MoveAction);
    m_rankList->setAccessibleName(tr("Card ranking"));
    for (const auto& [id, label] : cardSort.items) {
      auto* item = new QListWidgetItem(QString::fromStdString(label), m_rankList);
      item->setData(kCardIdRole, QString::fromStdString(id));
    }
    m_rankList->setCurrentRow(0);
    row->addWidget(m_rankList, 1);
    auto* buttons = new QVBoxLayout;
    auto* up = new QPushButton(tr("Move &Up"), box);
    auto* down = new QPushButton(tr("Move &Down"), box);
    connect(up, &QPushButton::clicked, this, [this] { moveCurrent(-1); });
    connect(down, &QPushButton::clicked, this, [this] { moveCurrent(1); });
    buttons->addWidget(up);
    buttons->addWidget(down);
    buttons->addStretch(1);
    row->addLayout(buttons);
    layout->addWidget(box, 1);
  }
  if (usesPiles()) {
    auto* box = new QGroupBox(tr("Put each card in a pile"), this);
    auto* form = new QFormLayout(box);
    for (const auto& [id, label] : cardSort.items) {
      auto* combo = new QComboBox(box);
      combo->addItem(tr("(choose a pile)"), QString());
      for (const auto& pile : cardSort.piles) {
        combo->addItem(QString::fromStdString(pile), QString::fromStdString(pile));
      }
      auto* name = new QLabel(QString::fromStdString(label), box);
      name->setWordWrap(true);
      name->setBuddy(combo);
      connect(combo, &QComboBox::currentIndexChanged, this, &CardSortDialog::updateState);
      m_pileCombos[id] = combo;
      form->addRow(name, combo);
    }
    layout->addWidget(box);
  }
  layout->addWidget(m_buttons);
  connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
    if (isComplete()) accept();
  });
  resize(640, 560);
  updateState();
}

void CardSortDialog::showEvent(QShowEvent* event) {
  if (!m_shown.isValid()) m_shown.start();
  QDialog::showEvent(event);
}

void CardSortDialog::moveCurrent(int delta) {
  const int row = m_rankList->currentRow();
  const int target = row + delta;
  if (row < 0 || target < 0 || target >= m_rankList->count()) return;
  QListWidgetItem* item = m_rankList->takeItem(row);
  m_rankList->insertItem(target, item);
  m_rankList->setCurrentRow(target);
}

bool CardSortDialog::setRanking(const QStringList& cardIds) {
  if (m_rankList == nullptr || cardIds.size() != m_rankList->count()) return false;
  std::map<QString, QListWidgetItem*> byId;
  while (m_rankList->count() > 0) {
    QListWidgetItem* item = m_rankList->takeItem(0);
    byId[item->data(kCardIdRole).toString()] = item;
  }
  bool ok = std::set<QString>(cardIds.begin(), cardIds.end()).size() == byId.size();
  for (const QString& id : cardIds) ok = ok && byId.count(id) == 1;
  if (!ok) {  // put the cards back in protocol order
    for (const auto& [id, label] : m_sort.items) m_rankList->addItem(byId[QString::fromStdString(id)]);
    return false;
  }
  for (const QString& id : cardIds) m_rankList->addItem(byId[id]);
  return true;
}

bool CardSortDialog::setPile(const QString& cardId, const QString& pile) {
  auto it = m_pileCombos.find(cardId.toStdString());
  if (it == m_pileCombos.end()) return false;
  const int index = it->second->findData(pile);
  if (index <= 0) return false;
  it->second->setCurrentIndex(index);
  return true;
}

QStringList CardSortDialog::ranking() const {
  QStringList out;
  if (m_rankList == nullptr) return out;
  for (int i = 0; i < m_rankList->count(); ++i) out << m_rankList->item(i)->data(kCardIdRole).toString();
  return out;
}

std::map<std::string, std::vector<std::string>> CardSortDialog::piles() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [id, label] : m_sort.items) {
    auto it = m_pileCombos.find(id);
    if (it == m_pileCombos.end()) continue;
    const QString pile = it->second->currentData().toString();
    if (!pile.isEmpty()) out[pile.toStdString()].push_back(id);
  }
  return out;
}

bool CardSortDialog::isComplete() const {
  for (const auto& [id, combo] : m_pileCombos) {
    if (combo->currentData().toString().isEmpty()) return false;
  }
  return true;
}

nlohmann::json CardSortDialog::payload() const {
  nlohmann::json p = {{"card_sort_id", m_sort.id}, {"time_ms", elapsedMs()}};
  if (ranks()) {
    nlohmann::json ranking = nlohmann::json::array();
    for (const QString& id : this->ranking()) ranking.push_back(id.toStdString());
    p["ranking"] = ranking;
  }
  if (usesPiles()) {
    nlohmann::json piles = nlohmann::json::object();
    for (const auto& [pile, cards] : this->piles()) piles[pile] = cards;
    p["piles"] = piles;
  }
  return p;
}

void CardSortDialog::updateState() { m_buttons->button(QDialogButtonBox::Ok)->setEnabled(isComplete()); }

}  // namespace glasswing::studio

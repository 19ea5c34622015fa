#pragma once
// CardSortDialog: the protocol's card sort (docs/STUDIES.md): `rank` orders the cards (drag them,
// or Move Up / Move Down with the keyboard), `piles` puts each card in one pile (a combo per
// card), `rank_and_piles` does both. OK is enabled once every card has a pile (piles modes).
// ranking() is the card ids, most important first; piles() maps each pile to its card ids;
// elapsedMs() counts from when the dialog was shown.

#include <QDialog>
#include <QElapsedTimer>
#include <QString>
#include <QStringList>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "studies/protocol.hpp"

QT_BEGIN_NAMESPACE
class QComboBox;
class QDialogButtonBox;
class QListWidget;
QT_END_NAMESPACE

namespace glasswing::studio {

class CardSortDialog : public QDialog {
  Q_OBJECT

 public:
  CardSortDialog(const studies::CardSort& cardSort, QWidget* parent = nullptr);

  const studies::CardSort& cardSort() const { return m_sort; }
  bool ranks() const { return m_sort.mode != "piles"; }
  bool usesPiles() const { return m_sort.mode != "rank"; }
  // For tests and scripts. setRanking: a permutation of the card ids (false otherwise).
  bool setRanking(const QStringList& cardIds);
  bool setPile(const QString& cardId, const QString& pile);
  QStringList ranking() const;
  std::map<std::string, std::vector<std::string>> piles() const;
  bool isComplete() const;
  qint64 elapsedMs() const { return m_shown.isValid() ? m_shown.elapsed() : 0; }
  // The card_sort event's payload (card_sort_id, ranking and/or piles, time_ms).
  nlohmann::json payload() const;

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void moveCurrent(int delta);
  void updateState();

  studies::CardSort m_sort;
  QListWidget* m_rankList = nullptr;
  std::map<std::string, QComboBox*> m_pileCombos;
  QDialogButtonBox* m_buttons = nullptr;
  QElapsedTimer m_shown;
};

}  // namespace glasswing::studio

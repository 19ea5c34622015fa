#pragma once
// DataPanel: the schema and profile of the loaded table (one row per column: type, missing
// values, distinct values, range, moments, top values) above the distribution of the selected
// column. The start of the data panel (P4). It shows a LoadedDataset; it never loads one.

#include <QString>
#include <QWidget>
#include <memory>

QT_BEGIN_NAMESPACE
class QLabel;
class QSortFilterProxyModel;
class QSplitter;
class QStackedWidget;
class QTableView;
QT_END_NAMESPACE

namespace glasswing::studio {

struct LoadedDataset;
class HistogramChart;
class ProfileTableModel;

class DataPanel : public QWidget {
  Q_OBJECT

 public:
  explicit DataPanel(QWidget* parent = nullptr);

  // Shows `dataset` and selects its first column.
  void setDataset(std::shared_ptr<const LoadedDataset> dataset);
  void clear();
  // While nothing is shown yet, the placeholder says what is being loaded.
  void setLoadingText(const QString& text);
  const std::shared_ptr<const LoadedDataset>& dataset() const { return m_dataset; }

  // Selects the column at `row` of the profile table's source model (file order).
  void selectColumn(int row);
  // Selects the column called `name`; false when there is none.
  bool selectColumnByName(const QString& name);
  // The selected column's name; empty when none is selected.
  QString selectedColumnName() const;

  ProfileTableModel* profileModel() const { return m_model; }
  HistogramChart* histogramChart() const { return m_chart; }
  QTableView* tableView() const { return m_table; }

 signals:
  void columnSelected(const QString& name);

 private:
  void onCurrentRowChanged();
  void fitColumns();
  void fitSplitter();

  std::shared_ptr<const LoadedDataset> m_dataset;
  QStackedWidget* m_stack = nullptr;
  QLabel* m_placeholder = nullptr;
  QLabel* m_header = nullptr;
  ProfileTableModel* m_model = nullptr;
  QSortFilterProxyModel* m_proxy = nullptr;
  QTableView* m_table = nullptr;
  QSplitter* m_splitter = nullptr;
  HistogramChart* m_chart = nullptr;
  QString m_selectedName;
};

}  // namespace glasswing::studio

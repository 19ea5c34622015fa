#include "panels/datapanel.hpp"

#include <QAction>
#include <QComboBox>
#include <QFileInfo>
#include <QStyledItemDelegate>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

#include "charts/histogramchart.hpp"
#include "models/profiletablemodel.hpp"
#include "workers/csvloader.hpp"

namespace glasswing::studio {
namespace {

QString delimiterName(char delimiter) {
  switch (delimiter) {
    case ',': return DataPanel::tr("comma-separated");
    case ';': return DataPanel::tr("semicolon-separated");
    case '\t': return DataPanel::tr("tab-separated");
    default: return DataPanel::tr("separated by '%1'").arg(QLatin1Char(delimiter));
  }
}

QString placeholderText() {
  return DataPanel::tr(
      "<p style='font-size:15pt; color:#444'>No data loaded</p>"
      "<p style='color:#666'>Open a CSV file with <b>File ▸ Open…</b> (Ctrl+O),<br>"
      "or drop a .csv or .csv.gz file on this window.</p>");
}

// The Type column's editor: a combo of the types a run accepts, committed on choice.
class TypeDelegate : public QStyledItemDelegate {
 public:
  using QStyledItemDelegate::QStyledItemDelegate;
  QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override {
    if (index.column() != ProfileTableModel::Type) return QStyledItemDelegate::createEditor(parent, option, index);
    auto* combo = new QComboBox(parent);
    combo->addItems(ProfileTableModel::typeChoices());
    combo->setAccessibleName(DataPanel::tr("Column type"));
    combo->setToolTip(DataPanel::tr("The type the run reads this column as; ignore drops it."));
    connect(combo, &QComboBox::activated, this, [this, combo] {
      auto* self = const_cast<TypeDelegate*>(this);
      emit self->commitData(combo);
      emit self->closeEditor(combo);
    });
    return combo;
  }
  void setEditorData(QWidget* editor, const QModelIndex& index) const override {
    if (auto* combo = qobject_cast<QComboBox*>(editor)) {
      combo->setCurrentText(index.data(Qt::EditRole).toString());
      return;
    }
    QStyledItemDelegate::setEditorData(editor, index);
  }
  void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override {
    if (auto* combo = qobject_cast<QComboBox*>(editor)) {
      model->setData(index, combo->currentText(), Qt::EditRole);
      return;
    }
    QStyledItemDelegate::setModelData(editor, model, index);
  }
};

}  // namespace

DataPanel::DataPanel(QWidget* parent)
    : QWidget(parent),
      m_stack(new QStackedWidget(this)),
      m_placeholder(new QLabel(this)),
      m_header(new QLabel(this)),
      m_model(new ProfileTableModel(this)),
      m_proxy(new QSortFilterProxyModel(this)),
      m_table(new QTableView(this)),
      m_chart(new HistogramChart(this)) {
  m_placeholder->setAlignment(Qt::AlignCenter);
  m_placeholder->setTextFormat(Qt::RichText);
  m_placeholder->setText(placeholderText());

  m_header->setTextFormat(Qt::RichText);
  m_header->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_header->setContentsMargins(4, 2, 4, 2);

  m_proxy->setSourceModel(m_model);
  m_proxy->setSortRole(ProfileTableModel::SortRole);
  m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
  m_table->setModel(m_proxy);
  m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
  m_table->setSelectionMode(QAbstractItemView::SingleSelection);
  // Only the Type column is editable (ProfileTableModel::flags).
  m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed |
                           QAbstractItemView::SelectedClicked);
  m_table->setItemDelegateForColumn(ProfileTableModel::Type, new TypeDelegate(m_table));
  m_resetType = new QAction(tr("Reset type"), m_table);
  m_resetType->setToolTip(tr("Use the inferred type of the selected column again."));
  m_table->addAction(m_resetType);
  m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
  connect(m_resetType, &QAction::triggered, this, [this] { resetColumnType(m_selectedName); });
  connect(m_model, &QAbstractItemModel::dataChanged, this, &DataPanel::onTypeEdited);
  m_table->setAlternatingRowColors(true);
  m_table->setWordWrap(false);
  m_table->setTextElideMode(Qt::ElideRight);
  m_table->verticalHeader()->hide();
  m_table->horizontalHeader()->setHighlightSections(false);
  m_table->horizontalHeader()->setStretchLastSection(true);
  m_table->horizontalHeader()->setSortIndicatorClearable(true);
  // File order until the user clicks a header; setSortingEnabled() would otherwise sort by name.
  m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
  m_table->setSortingEnabled(true);
  m_table->setAccessibleName(tr("Column profiles"));
  connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          &DataPanel::onCurrentRowChanged);

  m_splitter = new QSplitter(Qt::Vertical, this);
  m_splitter->addWidget(m_table);
  m_splitter->addWidget(m_chart);
  m_splitter->setStretchFactor(0, 3);
  m_splitter->setStretchFactor(1, 2);
  m_splitter->setChildrenCollapsible(false);

  auto* content = new QWidget(this);
  auto* contentLayout = new QVBoxLayout(content);
  contentLayout->setContentsMargins(0, 0, 0, 0);
  contentLayout->setSpacing(4);
  contentLayout->addWidget(m_header);
  contentLayout->addWidget(m_splitter, 1);

  m_stack->addWidget(m_placeholder);
  m_stack->addWidget(content);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->addWidget(m_stack);
}

void DataPanel::setDataset(std::shared_ptr<const LoadedDataset> dataset) {
  if (!dataset || !dataset->table) {
    clear();
    return;
  }
  m_dataset = std::move(dataset);
  m_selectedName.clear();
  m_table->sortByColumn(-1, Qt::AscendingOrder);  // back to file order for a new table
  m_model->setProfiles(m_dataset->profiles);
  m_shownTypes.clear();
  for (int row = 0; row < m_model->rowCount(); ++row)
    m_shownTypes[m_model->profileAt(row)->name] = m_model->inferredType(row).toStdString();
  m_chart->clear();

  const QFileInfo file(m_dataset->path);
  const auto& info = m_dataset->csvInfo;
  const QLocale locale;
  QString details = tr("%1 rows × %2 columns · %3 · %4")
                        .arg(locale.toString(static_cast<qulonglong>(m_dataset->table->rows())),
                             locale.toString(static_cast<qulonglong>(m_dataset->table->column_count())),
                             delimiterName(info.delimiter),
                             locale.formattedDataSize(static_cast<qint64>(info.bytes)));
  if (info.gzip) details += tr(" · gzip");
  m_header->setText(QStringLiteral("<span style='font-size:12pt'><b>%1</b></span>"
                                   "&nbsp;&nbsp;<span style='color:#555'>%2</span>")
                        .arg(file.fileName().toHtmlEscaped(), details.toHtmlEscaped()));
  m_header->setToolTip(file.absoluteFilePath());
  m_stack->setCurrentIndex(1);
  fitColumns();
  fitSplitter();
  selectColumn(0);
}

void DataPanel::clear() {
  m_dataset.reset();
  m_selectedName.clear();
  m_model->clear();
  m_shownTypes.clear();
  m_chart->clear();
  m_header->clear();
  m_placeholder->setText(placeholderText());
  m_stack->setCurrentIndex(0);
}

void DataPanel::setLoadingText(const QString& text) {
  if (m_dataset) return;  // keep showing the current table while another one loads
  m_placeholder->setText(QStringLiteral("<p style='font-size:13pt; color:#444'>%1</p>")
                             .arg(text.toHtmlEscaped()));
}

void DataPanel::selectColumn(int row) {
  const QModelIndex proxyIndex = m_proxy->mapFromSource(m_model->index(row, 0));
  if (!proxyIndex.isValid()) return;
  m_table->selectionModel()->setCurrentIndex(
      proxyIndex, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  m_table->scrollTo(proxyIndex);
}

bool DataPanel::selectColumnByName(const QString& name) {
  const auto& profiles = m_model->profiles();
  for (std::size_t row = 0; row < profiles.size(); ++row) {
    if (QString::fromStdString(profiles[row].name) == name) {
      selectColumn(static_cast<int>(row));
      return true;
    }
  }
  return false;
}

QString DataPanel::selectedColumnName() const { return m_selectedName; }

namespace {
int rowOf(const ProfileTableModel& model, const QString& column) {
  for (int row = 0; row < model.rowCount(); ++row)
    if (QString::fromStdString(model.profileAt(row)->name) == column) return row;
  return -1;
}
}  // namespace

bool DataPanel::setColumnType(const QString& column, const QString& type) {
  const int row = rowOf(*m_model, column);
  return row >= 0 && m_model->setTypeOverride(row, type);
}

void DataPanel::resetColumnType(const QString& column) {
  const int row = rowOf(*m_model, column);
  if (row >= 0) m_model->resetType(row);
}

std::map<std::string, std::string> DataPanel::columnTypes() const { return m_model->typeOverrides(); }

// A changed Type cell (the delegate, setColumnType or a reset): says what changed, once.
void DataPanel::onTypeEdited(const QModelIndex& topLeft, const QModelIndex& bottomRight) {
  if (topLeft.column() > ProfileTableModel::Type || bottomRight.column() < ProfileTableModel::Type) return;
  for (int row = topLeft.row(); row <= bottomRight.row(); ++row) {
    const auto* profile = m_model->profileAt(row);
    if (profile == nullptr) continue;
    const std::string to = m_model->effectiveType(row).toStdString();
    std::string& shown = m_shownTypes[profile->name];
    if (shown == to) continue;
    const std::string from = shown;
    shown = to;
    emit typeOverridden(QString::fromStdString(profile->name), QString::fromStdString(from), QString::fromStdString(to));
  }
}

void DataPanel::onCurrentRowChanged() {
  const QModelIndex source = m_proxy->mapToSource(m_table->currentIndex());
  const auto* profile = source.isValid() ? m_model->profileAt(source.row()) : nullptr;
  if (profile == nullptr) {
    m_selectedName.clear();
    m_chart->clear();
    return;
  }
  m_selectedName = QString::fromStdString(profile->name);
  m_chart->setProfile(*profile);
  emit columnSelected(m_selectedName);
}

// A short table gets the height it needs and leaves the rest to the chart; a long one scrolls.
void DataPanel::fitSplitter() {
  const int total = m_splitter->height() - m_splitter->handleWidth();
  if (total <= 0) return;  // not laid out yet: the stretch factors apply
  const int rows = m_proxy->rowCount();
  const int rowHeight = rows > 0 ? m_table->rowHeight(0) : m_table->verticalHeader()->defaultSectionSize();
  const int needed = m_table->horizontalHeader()->height() + rows * rowHeight +
                     2 * m_table->frameWidth() + m_table->horizontalScrollBar()->sizeHint().height();
  const int tableHeight = std::clamp(needed, total * 3 / 10, total * 6 / 10);
  m_splitter->setSizes({tableHeight, total - tableHeight});
}

void DataPanel::fitColumns() {
  QHeaderView* header = m_table->horizontalHeader();
  m_table->resizeColumnsToContents();
  for (int column = 0; column < ProfileTableModel::TopValues; ++column) {
    const int maxWidth = column == ProfileTableModel::Name ? 280 : 180;
    header->resizeSection(column, std::clamp(header->sectionSize(column) + 12, 56, maxWidth));
  }
}

}  // namespace glasswing::studio
